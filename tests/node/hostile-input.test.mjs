// Hostile input at every export of the built package: values that throw when read, proxies,
// BigInts, typed arrays, symbols, and random values. Each must come back as a coded
// ValidationError (never a TypeError or RangeError), and the module must keep answering:
// a throw that unwinds through wasm frames used to leak stack and value slots until every
// export trapped. FUZZ_JS_CASES (default 50,000) sets the random values per export and
// THROWING_CALLS (default 100,000) the throwing calls per export.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import net from "node:net";
import { spawnSync } from "node:child_process";
import * as tsvi from "workspace-tsvi";
import { startStub, reply as replyOnce } from "./stub.mjs";

const { Client, validateBatchRequest, validateClientConfig, planBatches, signRequest, reportToCsv, blockReason } = tsvi;
const PROJECT = "0123456789abcdef0123456789abcdef";
const THROWING_CALLS = Number(process.env.THROWING_CALLS ?? 100_000);
const FUZZ_CASES = Number(process.env.FUZZ_JS_CASES ?? 50_000);
const vectors = JSON.parse(readFileSync(new URL("../vectors/signing.json", import.meta.url), "utf8"));
const DATE = "20240102T030405Z";
const SIGN_BASE = { method: "GET", url: "https://h.example/x", ak: "AK", sk: "SK", sdkDate: DATE };

let stub;
let client;
let fuzzClient;
before(async () => {
  // Answers whatever a valid (or randomly valid) call sends, at once.
  // Connections are closed after each answer: the loops below keep the event loop busy for
  // longer than a kept-alive socket lives, and a reused closed socket would reset.
  const reply = (res, status, body) => replyOnce(res, status, body, { connection: "close" });
  stub = await startStub((req, res) => {
    if (req.method === "PATCH" && req.url.includes("batch-update-tsvi")) return reply(res, 200, { job_id: "job-1" });
    if (req.method === "PATCH") return reply(res, 200, {});
    if (/app-server-groups\/[^/?]+$/.test(req.url.split("?")[0])) {
      return reply(res, 200, { id: "g", name: "group", ip_virtual: { enable: true }, app_server_count: 2 });
    }
    if (req.url.includes("/job/")) return reply(res, 200, { id: "job-1", status: "SUCCESS", sub_jobs: [] });
    if (/app-servers\/[^/?]+$/.test(req.url.split("?")[0])) return reply(res, 200, { id: "srv-1", name: "one" });
    return reply(res, 200, { count: 1, items: [{ id: "srv-1", name: "one", server_group_id: "g" }] });
  });
  client = new Client({ endpoint: stub.url, projectId: PROJECT, auth: { token: "T" }, timeoutMs: 5000 });
  // The fuzz's client points at a port nobody listens on: a random input that happens to be
  // valid fails fast with a NetworkError instead of costing a round trip; reads are not retried
  // (what is fuzzed is the boundary, not the retry policy, which tests/client_net.rs covers).
  const closed = net.createServer();
  await new Promise((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const { port } = closed.address();
  await new Promise((resolve) => closed.close(resolve));
  fuzzClient = new Client({ endpoint: `http://127.0.0.1:${port}`, projectId: PROJECT, auth: { token: "T" }, timeoutMs: 5000, retry: false });
});
after(() => stub?.close());

function isValidationError(e) {
  return (
    e instanceof Error &&
    e.name === "ValidationError" &&
    e.code === "validation" &&
    Array.isArray(e.errors) &&
    e.errors.length > 0 &&
    e.errors.every((i) => typeof i.path === "string" && typeof i.code === "string" && typeof i.message === "string")
  );
}

function describe(e) {
  return `${e?.name}: ${e?.message} (code ${e?.code}, errors ${JSON.stringify(e?.errors)})`;
}

// ---------------------------------------------------------------------------------------
// Values that throw when read.

function throwingGetter() {
  const o = { ok: 1 };
  Object.defineProperty(o, "x", { enumerable: true, get() { throw new Error("getter"); } });
  return o;
}
const throwAll = () => { throw new Error("trap"); };
function throwingProxy(target = {}) {
  return new Proxy(target, { get: throwAll, has: throwAll, ownKeys: throwAll, getOwnPropertyDescriptor: throwAll, getPrototypeOf: throwAll });
}
function revokedProxy() {
  const { proxy, revoke } = Proxy.revocable([], {});
  revoke();
  return proxy;
}
function throwingSignalOptions() {
  const o = {};
  Object.defineProperty(o, "signal", { enumerable: true, get() { throw new Error("signal getter"); } });
  return o;
}
// Tampered AbortSignals: the transport reads `aborted` through imports that do not catch.
function tamperedSignal() {
  const signal = new AbortController().signal;
  Object.defineProperty(signal, "aborted", { get() { throw new Error("aborted getter"); } });
  return signal;
}

const THROWING = [
  throwingGetter,
  () => Object.create(new Uint8Array(1)),
  () => throwingProxy(),
  () => throwingProxy([]),
  revokedProxy,
  () => ({ items: [{ id: "a", enable: true }, throwingGetter()] }),
  () => [["k", throwingGetter()]],
  () => 10n ** 30n,
  () => Symbol("s"),
  () => Object.create(throwingProxy()),
  everyFieldThrows,
  () => [everyFieldThrows()],
  () => ({ items: [{ id: "a", enable: true }], waves: [everyFieldThrows()], servers: [everyFieldThrows()] }),
];

// Typed inputs (servers, plans, reports) are read field by field: every field a type has throws.
function everyFieldThrows() {
  const o = {};
  for (const key of ["id", "name", "items", "enable", "waves", "servers", "plan", "status", "format", "options", "snapshot", "summary", "outcome"]) {
    Object.defineProperty(o, key, { enumerable: true, get() { throw new Error(key); } });
  }
  return o;
}

// Options objects are read only at the keys an export knows, so what goes there throws on
// every read, or is not an object at all.
const OPTION_KEYS = ["signal", "batchSize", "concurrency", "onProgress", "onEvent", "onReport", "pollIntervalMs", "jobTimeoutMs", "seed", "maxUnavailable", "drain"];
function everyOptionThrows() {
  const o = {};
  for (const key of OPTION_KEYS) Object.defineProperty(o, key, { enumerable: true, get() { throw new Error(key); } });
  return o;
}
const THROWING_OPTIONS = [everyOptionThrows, () => throwingProxy(), revokedProxy, () => Object.create(throwingProxy()), () => 10n, () => Symbol("s")];

/** Marks a call whose hostile value goes where options go. */
function opt(call) {
  call.options = true;
  return call;
}

// Every export, with the places a hostile value can go, taken in turn. `result` marks the
// exports that answer hostile input with a result (the validate functions), not a throw.
const EXPORTS = [
  { name: "validateBatchRequest", result: true, calls: [(h) => validateBatchRequest(h)] },
  { name: "validateClientConfig", result: true, calls: [(h) => validateClientConfig(h)] },
  { name: "planBatches", calls: [(h) => planBatches(h), opt((h) => planBatches(["a"], h)), (h) => planBatches(["a"], { batchSize: h })] },
  {
    name: "signRequest",
    calls: [
      (h) => signRequest(h),
      (h) => signRequest({ ...SIGN_BASE, headers: h }),
      (h) => signRequest({ ...SIGN_BASE, query: h }),
      (h) => signRequest({ ...SIGN_BASE, body: h }),
      (h) => signRequest({ ...SIGN_BASE, ak: h }),
    ],
  },
  { name: "reportToCsv", calls: [(h) => reportToCsv(h)] },
  { name: "blockReason", calls: [(h) => blockReason(h), opt((h) => blockReason({ id: "srv-1" }, h))] },
  { name: "new Client", calls: [(h) => new Client(h), (h) => new Client({ endpoint: "https://h", projectId: PROJECT, auth: h })] },
  { name: "batchUpdateTsvi", calls: [(h) => client.batchUpdateTsvi(h), opt((h) => client.batchUpdateTsvi([{ id: "a", enable: true }], h))] },
  {
    name: "batchChangeMaintainMode",
    calls: [(h) => client.batchChangeMaintainMode(h, true), (h) => client.batchChangeMaintainMode(["a"], h), opt((h) => client.batchChangeMaintainMode(["a"], true, h))],
  },
  { name: "listServers", calls: [(h) => client.listServers(h), opt((h) => client.listServers({}, h))] },
  { name: "listAllServers", calls: [(h) => client.listAllServers(h), opt((h) => client.listAllServers({}, h)), (h) => client.listAllServers({}, { concurrency: h })] },
  { name: "showServer", calls: [(h) => client.showServer(h), opt((h) => client.showServer("srv-1", h))] },
  { name: "listServerGroups", calls: [(h) => client.listServerGroups(h), opt((h) => client.listServerGroups({}, h))] },
  { name: "showServerGroup", calls: [(h) => client.showServerGroup(h), opt((h) => client.showServerGroup("g", h))] },
  { name: "showJob", calls: [(h) => client.showJob(h), opt((h) => client.showJob("job-1", h))] },
  { name: "listSubJobs", calls: [(h) => client.listSubJobs(h), opt((h) => client.listSubJobs({}, h))] },
  { name: "planRollout", calls: [(h) => client.planRollout(h), opt((h) => client.planRollout([], h))] },
  { name: "runRollout", calls: [(h) => client.runRollout(h), opt((h) => client.runRollout({}, h)), (h) => client.runRollout({}, { onEvent: h })] },
  { name: "resumeRollout", calls: [(h) => client.resumeRollout(h), opt((h) => client.resumeRollout({}, h))] },
];

/** Runs `call` and hands what it threw or rejected with (or its value) to `check`. */
async function settle(call, check) {
  let result;
  try {
    result = call();
  } catch (e) {
    check({ threw: e });
    return;
  }
  if (result instanceof Promise) {
    await result.then((value) => check({ value }), (e) => check({ threw: e }));
  } else {
    check({ value: result });
  }
}

// ---------------------------------------------------------------------------------------
// What a healthy module answers.

async function assertStillAnswers() {
  assert.equal(validateBatchRequest({ items: [{ id: "srv-1", enable: true }] }).ok, true);
  assert.deepEqual(validateBatchRequest({ items: [] }).errors.map((e) => e.code), ["items.empty"]);
  assert.equal(validateClientConfig({ endpoint: "https://h", projectId: PROJECT, auth: { token: "t" } }).ok, true);
  assert.deepEqual(planBatches(["a", "b", "a"], { batchSize: 1 }).batches, [["a"], ["b"]]);
  const vector = vectors.cases.find((c) => c.name === "security-token");
  const { input } = vector;
  const signed = signRequest({
    method: input.method, url: input.url, query: input.query, headers: input.headers, body: input.body,
    ak: input.ak, sk: input.sk, securityToken: input.security_token, sdkDate: input.sdk_date,
  });
  assert.equal(signed.signature, vector.expected.signature);
  const page = await client.listServers({ limit: 10 });
  assert.deepEqual(page.items.map((s) => s.id), ["srv-1"]);
  const sent = stub.received.length;
  assert.equal((await client.batchUpdateTsvi([{ id: "srv-1", enable: true }])).job_id, "job-1");
  assert.equal(stub.received.length, sent + 1);
}

test("a valid call answers before anything hostile", assertStillAnswers);

test(`${THROWING_CALLS} throwing inputs per export give ValidationErrors, and the module still answers`, async () => {
  const started = Date.now();
  const failures = new Map();
  // Stack traces cost most of the time of a million throws, and matter nothing here.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const times = [];
  for (const entry of EXPORTS) {
    const entryStarted = Date.now();
    let seen = 0;
    const check = (threw, value) => {
      seen++;
      const ok = entry.result ? threw === undefined && value?.ok === false && value.errors.length > 0 : isValidationError(threw);
      if (!ok && !failures.has(entry.name)) failures.set(entry.name, threw ? describe(threw) : `returned ${JSON.stringify(value)}`);
    };
    // The same hostile objects serve every call: what leaked was per call, not per object.
    const hostiles = entry.calls.map((call) => (call.options ? THROWING_OPTIONS : THROWING).map((make) => make()));
    for (let chunk = 0; chunk < THROWING_CALLS; chunk += 1000) {
      const pending = [];
      for (let i = chunk; i < Math.min(chunk + 1000, THROWING_CALLS); i++) {
        const which = i % entry.calls.length;
        const kinds = hostiles[which];
        const hostile = kinds[Math.floor(i / entry.calls.length) % kinds.length];
        let result;
        try {
          result = entry.calls[which](hostile);
        } catch (e) {
          check(e);
          continue;
        }
        if (result instanceof Promise) pending.push(result.then((value) => check(undefined, value), (e) => check(e)));
        else check(undefined, result);
      }
      await Promise.all(pending);
    }
    assert.equal(seen, THROWING_CALLS, entry.name);
    times.push(`${entry.name} ${Date.now() - entryStarted} ms`);
  }
  console.log(`# ${times.join(", ")}`);
  Error.stackTraceLimit = stackTraceLimit;
  assert.deepEqual([...failures], [], "every hostile input gives a coded ValidationError");
  // Tampered AbortSignals are refused too, before any fetch reads them.
  for (const signal of [tamperedSignal(), throwingProxy(new AbortController().signal), Object.create(AbortSignal.prototype)]) {
    const e = await client.listServers({}, { signal }).catch((e) => e);
    assert.ok(isValidationError(e) && e.errors[0].path === "/signal", describe(e));
  }
  const e = await client.listServers({}, throwingSignalOptions()).catch((e) => e);
  assert.ok(isValidationError(e) && e.errors[0].path === "/signal" && e.errors[0].code === "value.unreadable", describe(e));
  await assertStillAnswers();
  console.log(`# ${THROWING_CALLS} throwing calls x ${EXPORTS.length} exports in ${Date.now() - started} ms`);
});

// Field names are made into JS strings once and kept (src/js_value.rs). A getter that calls
// back into the module while a kept name is in use, and makes it read fields it never read
// before, must neither panic nor get a wrong field: in a fresh process, so nothing is kept yet.
test("a getter that calls the module while its object is read gets the same answers", () => {
  const code = `
    import { blockReason, reportToCsv } from "workspace-tsvi";
    const busy = { id: "b", server_group_id: "g", vm_status: "ACTIVE", session_count: 3 };
    const expected = JSON.stringify(blockReason(busy, {}));
    let nested = 0;
    const server = {
      get id() {
        nested++;
        try { reportToCsv({ version: 1, entries: [] }); } catch (e) { if (e.name !== "ValidationError") throw e; }
        if (JSON.stringify(blockReason(busy, {})) !== expected) throw new Error("nested answer differs");
        return "a";
      },
      server_group_id: "g", vm_status: "ACTIVE", session_count: 3,
    };
    for (let i = 0; i < 100; i++) if (JSON.stringify(blockReason(server, {})) !== expected) throw new Error("answer differs");
    if (nested !== 100 || blockReason({ ...busy, session_count: 0 }, {}) !== null) throw new Error("wrong fields read");
  `;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8", timeout: 30_000 });
  assert.equal(child.status, 0, child.stderr);
});

test("the errors name what was refused", () => {
  const cases = [
    [() => validateBatchRequest({ items: [{ id: "a", enable: 1n }] }), "/items/0/enable", "value.bigint"],
    [() => validateBatchRequest(throwingGetter()), "/x", "value.unreadable"],
    [() => validateBatchRequest({ items: new Uint16Array(2) }), "/items", "value.not_json"],
    [() => validateBatchRequest({ items: Object.create(new Uint8Array(1)) }), "/items", "value.not_json"],
    [() => validateBatchRequest({ a: { b: Symbol("s") } }), "/a/b", "value.not_json"],
  ];
  for (const [call, path, code] of cases) {
    const { ok, errors } = call();
    assert.equal(ok, false);
    assert.deepEqual([errors[0].path, errors[0].code], [path, code]);
  }
  let deep = [];
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.equal(validateBatchRequest({ items: deep }).errors[0].code, "value.too_deep");
  const cyclic = { items: [] };
  cyclic.items.push(cyclic);
  assert.equal(validateBatchRequest(cyclic).errors[0].code, "value.too_deep");
  const thrown = (call) => {
    try {
      call();
    } catch (e) {
      return e;
    }
    assert.fail("expected a throw");
  };
  for (const [body, code] of [[Object.create(new Uint8Array(1)), "body.invalid"], [new Uint16Array(2), "body.invalid"], [new DataView(new ArrayBuffer(2)), "body.invalid"], [10n, "body.invalid"]]) {
    const e = thrown(() => signRequest({ ...SIGN_BASE, body }));
    assert.ok(isValidationError(e) && e.errors[0].path === "/body" && e.errors[0].code === code, describe(e));
  }
  const sub = new (class extends Uint8Array {
    get length() {
      throw new Error("length");
    }
  })([1, 2, 3]);
  assert.equal(signRequest({ ...SIGN_BASE, body: sub }).signature, signRequest({ ...SIGN_BASE, body: new Uint8Array([1, 2, 3]) }).signature);
  const e = thrown(() => signRequest({ ...SIGN_BASE, query: { n: 10n } }));
  assert.ok(isValidationError(e) && e.errors[0].path === "/query/n" && e.errors[0].code === "value.bigint", describe(e));
});

// ---------------------------------------------------------------------------------------
// signRequest's rules through the JS boundary.

function signError(input) {
  try {
    signRequest(input);
  } catch (e) {
    assert.ok(isValidationError(e), describe(e));
    return [e.errors[0].path, e.errors[0].code];
  }
  assert.fail(`signRequest accepted ${JSON.stringify(input)}`);
}

test("signRequest keeps and signs every header the caller gave, or refuses it by name", () => {
  const vector = vectors.cases.find((c) => c.name === "security-token");
  const { input, expected } = vector;
  // X-Security-Token and X-Sdk-Date as headers, as Huawei's signer takes them.
  const headers = Object.fromEntries([...input.headers, ["X-Security-Token", input.security_token], ["X-Sdk-Date", input.sdk_date]]);
  const signed = signRequest({ method: input.method, url: input.url, query: input.query, headers, body: input.body, ak: input.ak, sk: input.sk });
  assert.equal(signed.signature, expected.signature);
  assert.equal(signed.headers["X-Security-Token"], input.security_token);
  assert.equal(signed.headers["X-Sdk-Date"], input.sdk_date);
  assert.ok(signed.signedHeaders.split(";").includes("x-security-token"));
  // Both ways, equal: one header, same signature.
  const both = signRequest({ method: input.method, url: input.url, query: input.query, headers, body: input.body, ak: input.ak, sk: input.sk, securityToken: input.security_token, sdkDate: input.sdk_date });
  assert.equal(both.signature, expected.signature);
  assert.deepEqual(Object.keys(both.headers).sort(), Object.keys(signed.headers).sort());
  // Host equal to the URL's is kept; `__proto__` stays a header.
  const kept = signRequest({ ...SIGN_BASE, headers: { Host: "h.example", ["__proto__"]: "v" } });
  assert.equal(kept.headers.Host, "h.example");
  assert.ok(Object.hasOwn(kept.headers, "__proto__"));
  assert.ok(kept.signedHeaders.split(";").includes("__proto__") === false, "names with _ are sent unsigned, as the official signer does");

  for (const [change, path, code] of [
    [{ headers: { Authorization: "x" } }, "/headers/Authorization", "header.reserved"],
    [{ headers: { "X-Security-Token": "a" }, securityToken: "b" }, "/headers/X-Security-Token", "header.conflict"],
    [{ headers: { "X-Sdk-Date": "20240102T030406Z" } }, "/headers/X-Sdk-Date", "header.conflict"],
    [{ headers: { Host: "other.example" } }, "/headers/Host", "header.conflict"],
    [{ headers: { "X-A": "1", "x-a": "2" } }, "/headers/x-a", "header.duplicate"],
    [{ headers: [["X-A", "1"], ["X-A", "1"]] }, "/headers/X-A", "header.duplicate"],
    [{ headers: { "X-A": "1\r\nX-Injected: 1" } }, "/headers/X-A", "header.invalid_value"],
    [{ headers: { "X-A": "line\nbreak" } }, "/headers/X-A", "header.invalid_value"],
    [{ headers: { "X-A\r\nX-B": "1" } }, "/headers/X-A\r\nX-B", "header.invalid_name"],
    [{ headers: { "X A": "1" } }, "/headers/X A", "header.invalid_name"],
    [{ ak: "AK, Signature=0000" }, "/ak", "ak.invalid"],
    [{ ak: "AK\r\nX-Injected: 1" }, "/ak", "ak.invalid"],
    [{ securityToken: "tok\r\nX-Injected: 1" }, "/securityToken", "securityToken.invalid"],
    [{ url: "https://user:pass@h.example/x" }, "/url", "url.has_userinfo"],
    [{ url: "https://user@h.example/x" }, "/url", "url.has_userinfo"],
    [{ url: "https://h.example/x#" }, "/url", "url.has_fragment"],
    [{ url: "https://h.example/x#f" }, "/url", "url.has_fragment"],
    [{ url: "https://h.example/x?" }, "/url", "url.has_query"],
    [{ url: "https://h.example/x\n/y" }, "/url", "url.invalid"],
    [{ sdkDate: "20241302T030405Z" }, "/sdkDate", "sdkDate.invalid"],
    [{ sdkDate: "20240230T030405Z" }, "/sdkDate", "sdkDate.invalid"],
    [{ sdkDate: "20240102T030460Z" }, "/sdkDate", "sdkDate.invalid"],
    [{ method: "GET\r\nX" }, "/method", "method.invalid"],
  ]) {
    assert.deepEqual(signError({ ...SIGN_BASE, ...change }), [path, code], JSON.stringify(change));
  }
});

test("reportToCsv defuses formulas the OWASP way, quoting every field", async () => {
  const names = ["=HYPERLINK(\"http://x\")", "\t=1+1", " +1", "\r\n@SUM(A1)", "＝1+1", "－1", "＋1", "＠x", "plain, \"quoted\""];
  const servers = names.map((name, i) => ({ id: `srv-${i}`, name, server_group_id: "g", vm_status: "ACTIVE", status: "REGISTERED", session_count: 0 }));
  const plan = await client.planRollout(servers, { maxUnavailable: "100%" });
  // An aborted run still gives a report with every server in it.
  const report = await client.runRollout(plan, { signal: AbortSignal.abort() });
  const csv = reportToCsv(report);
  const rows = parseCsv(csv);
  assert.deepEqual(rows[0].slice(0, 2), ["id", "name"]);
  const byId = new Map(rows.slice(1).map((r) => [r[0], r[1]]));
  names.forEach((name, i) => {
    const cell = byId.get(`srv-${i}`);
    if (i === names.length - 1) assert.equal(cell, name);
    else assert.equal(cell, `'${name}`, `${JSON.stringify(name)} is defused`);
  });
  for (const line of csv.split("\r\n").filter(Boolean).slice(0, 1)) assert.ok(line.split(",").every((f) => f.startsWith('"') && f.endsWith('"')));
});

/** RFC 4180, for the test: every field quoted. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("\r\n", i)) {
      rows.push(row);
      row = [];
      i += 2;
      continue;
    }
    if (text[i] === ",") {
      i++;
      continue;
    }
    assert.equal(text[i], '"', `every field is quoted (at ${i})`);
    let value = "";
    i++;
    for (;;) {
      if (text[i] === '"' && text[i + 1] === '"') {
        value += '"';
        i += 2;
      } else if (text[i] === '"') {
        i++;
        break;
      } else {
        value += text[i++];
      }
    }
    row.push(value);
  }
  return rows;
}

// ---------------------------------------------------------------------------------------
// Random values at every export.

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = [
  "items", "id", "enable", "method", "url", "query", "headers", "body", "ak", "sk", "securityToken", "sdkDate", "signal",
  "batchSize", "concurrency", "onProgress", "onEvent", "onReport", "endpoint", "region", "projectId", "auth", "token",
  "timeoutMs", "limit", "offset", "servers", "waves", "plan", "status", "report", "__proto__", "constructor", "toJSON", "",
];
const STRINGS = [
  "", "a", "srv-1", "GET", "PATCH", "https://h.example/x", "https://u:p@h.example/x", "https://h.example/x#", "http://127.0.0.1:1",
  "a\r\nX-Injected: 1", "\u0000", "ü中文😀", "\ud800", "=cmd|' /C calc'!A0", "＝1", "20240102T030405Z", "20241302T030405Z",
  PROJECT, "x".repeat(5000), "__proto__", "25%", "true",
];

function randomValue(rng, depth = 0) {
  const pick = (list) => list[Math.floor(rng() * list.length)];
  const leaf = () => pick([
    undefined, null, true, false, 0, -0, 1, -1, 1.5, 20, 21, NaN, Infinity, -Infinity, 2 ** 53, 1e308, Math.floor(rng() * 1e6),
    pick(STRINGS), pick(STRINGS), 0n, -1n, 10n ** 30n, Symbol("s"), () => {}, new Date(0), /re/, new Error("e"), Promise.resolve(1),
  ]);
  const r = rng();
  if (depth > 4 || r < 0.35) return leaf();
  if (r < 0.5) {
    const list = [];
    const length = Math.floor(rng() * 5);
    for (let i = 0; i < length; i++) list.push(randomValue(rng, depth + 1));
    return list;
  }
  if (r < 0.68) {
    const o = rng() < 0.1 ? Object.create(null) : {};
    const fields = Math.floor(rng() * 5);
    for (let i = 0; i < fields; i++) {
      Object.defineProperty(o, pick(KEYS), { value: randomValue(rng, depth + 1), enumerable: true, writable: true, configurable: true });
    }
    return o;
  }
  return pick([
    () => new Uint8Array([1, 2]), () => new Int8Array(2), () => new Uint16Array(2), () => new Float64Array(1), () => new BigInt64Array(1),
    () => new DataView(new ArrayBuffer(2)), () => new ArrayBuffer(3), () => new SharedArrayBuffer(2), () => Object.create(new Uint8Array(1)),
    () => new Map([["items", []]]), () => new Set([1]), () => new String("s"), () => new Number(1), () => new WeakMap(),
    throwingGetter, () => throwingProxy(), () => throwingProxy([]), revokedProxy, throwingSignalOptions, tamperedSignal,
    () => Object.create(throwingProxy()), () => Object.create(revokedProxy()),
    () => new Proxy({}, {}), () => new Proxy([1, 2], {}), () => AbortSignal.abort(),
    () => {
      // A getter that answers differently each time it is read.
      let n = 0;
      const o = {};
      Object.defineProperty(o, pick(KEYS), { enumerable: true, get: () => (n++ % 2 ? "x" : { nested: throwingGetter() }) });
      return o;
    },
    () => {
      let deep = {};
      for (let i = 0; i < 300; i++) deep = { items: [deep] };
      return deep;
    },
    () => {
      const cyclic = { items: [] };
      cyclic.items.push(cyclic);
      return cyclic;
    },
    () => new Array(Math.floor(rng() * 5000)),
    () => ({ length: 1e9 }),
    () => new Proxy([], { get: (t, k) => (k === "length" ? 4_294_967_295 : undefined) }),
    () => ({ toJSON: () => ({ items: [] }) }),
  ])();
}

// A valid input for each export, with one field replaced by a random value, finds more than
// a random value alone does.
function mutate(rng, base) {
  const copy = Array.isArray(base) ? [...base] : { ...base };
  const keys = Object.keys(copy);
  const key = rng() < 0.8 && keys.length ? keys[Math.floor(rng() * keys.length)] : KEYS[Math.floor(rng() * KEYS.length)];
  Object.defineProperty(copy, key, { value: randomValue(rng, 1), enumerable: true, writable: true, configurable: true });
  return copy;
}

const FUZZ = [
  { name: "validateBatchRequest", base: { items: [{ id: "a", enable: true }] }, call: (v) => validateBatchRequest(v) },
  { name: "validateClientConfig", base: { endpoint: "https://h", projectId: PROJECT, auth: { token: "t" } }, call: (v) => validateClientConfig(v) },
  { name: "planBatches", base: ["a", "b"], call: (v, o) => planBatches(v, o) },
  { name: "signRequest", base: { ...SIGN_BASE, headers: { "X-A": "1" }, query: { a: "1" }, body: "{}" }, call: (v) => signRequest(v) },
  { name: "reportToCsv", base: { format: 1, status: "completed", servers: [], plan: {} }, call: (v) => reportToCsv(v) },
  { name: "new Client", base: { endpoint: stub?.url ?? "http://127.0.0.1:1", projectId: PROJECT, auth: { token: "t" } }, call: (v) => new Client(v) },
  { name: "batchUpdateTsvi", base: [{ id: "a", enable: true }], call: (v, o) => fuzzClient.batchUpdateTsvi(v, o) },
  { name: "batchChangeMaintainMode", base: ["a"], call: (v, o) => fuzzClient.batchChangeMaintainMode(v, o, o) },
  { name: "listServers", base: { limit: 10 }, call: (v, o) => fuzzClient.listServers(v, o) },
  { name: "listAllServers", base: {}, call: (v, o) => fuzzClient.listAllServers(v, o) },
  { name: "showServer", base: "srv-1", call: (v, o) => fuzzClient.showServer(v, o) },
  { name: "listServerGroups", base: {}, call: (v, o) => fuzzClient.listServerGroups(v, o) },
  { name: "showServerGroup", base: "g", call: (v, o) => fuzzClient.showServerGroup(v, o) },
  { name: "showJob", base: "job-1", call: (v, o) => fuzzClient.showJob(v, o) },
  { name: "listSubJobs", base: { job_id: "job-1" }, call: (v, o) => fuzzClient.listSubJobs(v, o) },
  { name: "planRollout", base: [{ id: "a", server_group_id: "g" }], call: (v, o) => fuzzClient.planRollout(v, o) },
  { name: "runRollout", base: { waves: [], skipped: [] }, call: (v, o) => fuzzClient.runRollout(v, o) },
  { name: "resumeRollout", base: { format: 1, servers: [] }, call: (v, o) => fuzzClient.resumeRollout(v, o) },
];
const ANSWERS = new Set(["ValidationError", "ApiError", "NetworkError", "TimeoutError", "AbortError"]);

test(`${FUZZ_CASES} random values at every export: only coded errors, and the module still answers`, async () => {
  const seed = Number(process.env.FUZZ_SEED ?? 20240102);
  const rng = mulberry32(seed);
  const started = Date.now();
  const failures = [];
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const times = [];
  for (const entry of FUZZ) {
    const entryStarted = Date.now();
    for (let chunk = 0; chunk < FUZZ_CASES; chunk += 500) {
      const pending = [];
      for (let i = chunk; i < Math.min(chunk + 500, FUZZ_CASES); i++) {
        const value = rng() < 0.5 ? randomValue(rng) : typeof entry.base === "object" ? mutate(rng, entry.base) : randomValue(rng);
        const options = rng() < 0.5 ? undefined : rng() < 0.5 ? randomValue(rng) : mutate(rng, { signal: new AbortController().signal, concurrency: 2 });
        pending.push(
          settle(
            () => entry.call(value, options),
            ({ threw }) => {
              if (threw === undefined) return;
              const coded = threw instanceof Error && ANSWERS.has(threw.name) && typeof threw.code === "string";
              const validation = threw.name !== "ValidationError" || isValidationError(threw);
              if ((!coded || !validation) && failures.length < 10) failures.push(`${entry.name} #${i}: ${describe(threw)}`);
            },
          ),
        );
      }
      await Promise.all(pending);
    }
    times.push(`${entry.name} ${Date.now() - entryStarted} ms`);
  }
  Error.stackTraceLimit = stackTraceLimit;
  console.log(`# ${times.join(", ")}`);
  assert.deepEqual(failures, [], `seed ${seed}`);
  await assertStillAnswers();
  console.log(`# ${FUZZ_CASES} random values x ${FUZZ.length} exports (seed ${seed}) in ${Date.now() - started} ms`);
});
