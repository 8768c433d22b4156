// The built package against hostile servers: answers nested too deep, redirects to another
// host, huge bodies, a lying `count`, throttling. Every call must settle with the documented
// error, send nothing anywhere else, and leave the module able to answer the next call.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Client } from "workspace-tsvi";
import { reply, stubPool } from "./stub.mjs";

const PROJECT = "0123456789abcdef0123456789abcdef";
const TOKEN = "canary-token-5b1e0c";
const AK = "CANARYAKID";
const SK = "canary-sk-8d24f7";
const SECURITY_TOKEN = "canary-sts-61a9e3";
const FAST_RETRY = { maxAttempts: 3, baseMs: 5, maxMs: 20 };
const stubs = stubPool();
after(stubs.close);
const stubWith = stubs.start;

const tokenClient = (endpoint, extra = {}) => new Client({ endpoint, projectId: PROJECT, auth: { token: TOKEN }, retry: FAST_RETRY, ...extra });
const akskClient = (endpoint, extra = {}) =>
  new Client({ endpoint, projectId: PROJECT, auth: { ak: AK, sk: SK, securityToken: SECURITY_TOKEN }, retry: FAST_RETRY, ...extra });
const deep = (n) => '{"x":'.repeat(n) + "1" + "}".repeat(n);
const rejection = (promise) => promise.then((v) => assert.fail(`resolved with ${JSON.stringify(v)}`), (e) => e);

/** The module still answers a valid call correctly. */
async function stillWorks() {
  const stub = await stubWith((req, res) => reply(res, 200, { count: 1, items: [{ id: "ok-1" }] }));
  const page = await tokenClient(stub.url).listServers({ limit: 1 });
  assert.deepEqual(page.items, [{ id: "ok-1" }]);
}

for (const [status, depth] of [[200, 4000], [200, 100_000], [500, 4000], [401, 4000], [404, 4000], [500, 100_000]]) {
  test(`a ${status} nested ${depth} deep is an ApiError response.invalid, and the module lives on`, async () => {
    const body = deep(depth);
    const stub = await stubWith((req, res) => reply(res, status, body));
    const error = await rejection(tokenClient(stub.url, { retry: false }).listServers({ limit: 1 }));
    assert.equal(error.name, "ApiError");
    assert.equal(error.status, status);
    assert.equal(error.error_code, "response.invalid");
    await stillWorks();
  });
}

for (const status of [302, 307, 308]) {
  for (const [kind, make] of [["a token", tokenClient], ["AK/SK and a security token", akskClient]]) {
    test(`a ${status} to another origin with ${kind} is an ApiError and nothing reaches the other host`, async () => {
      const other = await stubWith((req, res) => reply(res, 200, { job_id: "stolen-job", count: 0, items: [] }));
      const stub = await stubWith((req, res) => {
        res.writeHead(status, { location: `${other.url}${req.url}`, "x-request-id": "redir" });
        res.end();
      });
      const client = make(stub.url);
      const batch = await rejection(client.batchUpdateTsvi([{ id: "srv-1", enable: true }]));
      assert.equal(batch.name, "ApiError");
      assert.equal(batch.error_code, "response.redirect");
      assert.equal(batch.status, status);
      const read = await rejection(client.listServers({ limit: 1 }));
      assert.equal(read.error_code, "response.redirect");
      assert.equal(stub.received.length, 2, "a redirect is not retried");
      assert.equal(other.received.length, 0, "nothing sent to the other host");
      for (const e of [batch, read]) {
        const text = `${e.message} ${e.stack} ${JSON.stringify(e)}`;
        for (const canary of [TOKEN, SK, SECURITY_TOKEN]) assert.ok(!text.includes(canary));
      }
    });
  }
}

async function hugeBody(withLength) {
  const chunk = Buffer.alloc(1 << 20, 0x61); // 1 MB of "a"
  const total = 200; // MB
  return stubWith((req, res) => {
    const headers = { "content-type": "application/json", "x-request-id": "huge" };
    if (withLength) headers["content-length"] = String(total * chunk.length);
    res.writeHead(200, headers);
    let sent = 0;
    let closed = false;
    res.on("close", () => (closed = true));
    const pump = () => {
      while (!closed && sent < total) {
        sent += 1;
        if (!res.write(chunk)) return res.once("drain", pump);
      }
      if (!closed) res.end();
    };
    pump();
  });
}

for (const withLength of [true, false]) {
  test(`a 200 MB body (${withLength ? "with" : "without"} Content-Length) fails at the 16 MB cap without holding it`, async () => {
    const stub = await hugeBody(withLength);
    global.gc?.();
    const before = process.memoryUsage();
    const started = performance.now();
    const error = await rejection(tokenClient(stub.url).listServers({ limit: 1 }));
    const grewMb = (process.memoryUsage().rss - before.rss) / 2 ** 20;
    console.log(`200 MB body, ${withLength ? "with" : "without"} length: ${error.error_code} in ${Math.round(performance.now() - started)} ms, rss +${grewMb.toFixed(0)} MB`);
    assert.equal(error.name, "ApiError");
    assert.equal(error.error_code, "response.too_large");
    assert.equal(stub.received.length, 1, "not retried");
    assert.ok(grewMb < 150, `memory grew by ${grewMb} MB`);
    await stillWorks();
  });
}

test("maxResponseBytes is configurable", async () => {
  const stub = await stubWith((req, res) => reply(res, 200, { count: 1, items: [{ id: "x".repeat(3000) }] }));
  const error = await rejection(tokenClient(stub.url, { maxResponseBytes: 2048 }).listServers({ limit: 1 }));
  assert.equal(error.error_code, "response.too_large");
  assert.equal((await tokenClient(stub.url, { maxResponseBytes: 4096 }).listServers({ limit: 1 })).items.length, 1);
});

test("listAllServers stops against a lying count and says why", async () => {
  const items = Array.from({ length: 100 }, (_, i) => ({ id: `s${i}` }));
  const stub = await stubWith((req, res) => reply(res, 200, { count: 1e9, items }));
  const started = performance.now();
  const all = await tokenClient(stub.url).listAllServers({}, { concurrency: 4 });
  assert.equal(all.items.length, 100);
  assert.equal(all.count, 1e9);
  assert.equal(all.stopped, "no_new_servers");
  assert.ok(stub.received.length <= 6, `${stub.received.length} requests`);
  assert.ok(performance.now() - started < 5000);
});

test("listAllServers asks for at most 1,000 pages", async () => {
  const stub = await stubWith((req, res) => {
    const offset = Number(new URL(req.url, "http://x").searchParams.get("offset"));
    reply(res, 200, { count: 5e6, items: Array.from({ length: 100 }, (_, i) => ({ id: `s${offset + i}` })) });
  });
  const all = await tokenClient(stub.url).listAllServers({}, { concurrency: 16 });
  assert.equal(stub.received.length, 1000);
  assert.equal(all.items.length, 100_000);
  assert.equal(all.stopped, "page_limit");
});

test("a read retries 429s and 5xx, honouring Retry-After; batchUpdateTsvi never retries", async () => {
  let calls = 0;
  const stub = await stubWith((req, res) => {
    calls += 1;
    if (req.method === "PATCH") return reply(res, 429, { error_code: "APIG.0308", error_msg: "throttled" }, { "retry-after": "0" });
    if (calls === 1) return reply(res, 429, { error_code: "APIG.0308", error_msg: "throttled" }, { "retry-after": "1" });
    if (calls === 2) return reply(res, 503, "");
    return reply(res, 200, { id: "g1", ip_virtual: { enable: true } });
  });
  const events = [];
  const client = new Client(
    { endpoint: stub.url, projectId: PROJECT, auth: { token: TOKEN }, retry: { maxAttempts: 5, baseMs: 10, maxMs: 50 } },
    { onEvent: (e) => events.push(e) },
  );
  const started = performance.now();
  const group = await client.showServerGroup("g1");
  assert.deepEqual(group.ip_virtual, { enable: true });
  assert.ok(performance.now() - started >= 1000, "Retry-After: 1 was waited for");
  assert.deepEqual(events.filter((e) => e.type === "retry").map((e) => [e.attempt, e.status]), [[1, 429], [2, 503]]);
  assert.ok(events.some((e) => e.type === "throttled"));
  const error = await rejection(client.batchUpdateTsvi([{ id: "srv-1", enable: true }]));
  assert.equal(error.status, 429);
  assert.equal(stub.received.filter((r) => r.method === "PATCH").length, 1);
});

test("a retry configuration is validated", () => {
  assert.throws(
    () => new Client({ endpoint: "http://127.0.0.1:1", projectId: PROJECT, auth: { none: true }, retry: { maxAttempts: 0, maxMs: -1 } }),
    (e) => e.name === "ValidationError" && e.errors.map((i) => i.code).join() === "retry.maxAttempts.out_of_range,retry.maxMs.out_of_range",
  );
  assert.throws(() => new Client({ endpoint: "http://127.0.0.1:1", projectId: PROJECT, auth: { none: true }, maxResponseBytes: 1 }), /maxResponseBytes/);
  assert.throws(() => new Client({ endpoint: "http://127.0.0.1:1", projectId: PROJECT, auth: { none: true } }, { onEvent: 3 }), /onEvent|function/);
});

test("planRollout and listAllServers survive a 429 on any read (and fail on it with retry: false)", async () => {
  const served = new Map();
  const stub = await stubWith((req, res) => {
    const path = new URL(req.url, "http://x").pathname + (new URL(req.url, "http://x").searchParams.get("offset") ?? "");
    served.set(path, (served.get(path) ?? 0) + 1);
    // The first time each distinct request comes, it is throttled.
    if (served.get(path) === 1) return reply(res, 429, { error_code: "APIG.0308", error_msg: "throttled" }, { "retry-after": "0" });
    if (req.url.includes("app-server-groups/")) return reply(res, 200, { id: "g1", ip_virtual: { enable: true } });
    const offset = Number(new URL(req.url, "http://x").searchParams.get("offset") ?? 0);
    const items = Array.from({ length: Math.min(100, 150 - offset) }, (_, i) => ({ id: `s${offset + i}`, server_group_id: "g1", vm_status: "ACTIVE" }));
    return reply(res, 200, { count: 150, items });
  });
  const client = tokenClient(stub.url);
  const all = await client.listAllServers({}, { concurrency: 2 });
  assert.equal(all.items.length, 150);
  const plan = await client.planRollout(all.items, {});
  assert.ok(plan.summary.planned > 0);
  assert.equal(served.get(`/v1/${PROJECT}/app-server-groups/g1`), 2, "the group read was retried once");

  served.clear();
  const noRetry = tokenClient(stub.url, { retry: false });
  assert.equal((await rejection(noRetry.listAllServers({}))).status, 429);
  assert.equal((await rejection(noRetry.planRollout(all.items, {}))).status, 429);
});
