// The built package (pkg/, imported by its name as a user would) against a stub server.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Client, validateBatchRequest } from "workspace-tsvi";
import { startStub, reply, stubPool } from "./stub.mjs";

const PROJECT = "0123456789abcdef0123456789abcdef";
const TOKEN = "secret-token-value";
const ids = (n) => Array.from({ length: n }, (_, i) => ({ id: `srv-${i}`, enable: true }));
const stubs = stubPool();
after(stubs.close);
const stubWith = stubs.start;

function client(endpoint, extra = {}) {
  return new Client({ endpoint, projectId: PROJECT, auth: { token: TOKEN }, ...extra });
}

test("batchUpdateTsvi sends the documented PATCH and resolves to the job", async () => {
  const stub = await stubWith((req, res) => reply(res, 200, { job_id: "575768277444198400" }));
  const answer = await client(stub.url).batchUpdateTsvi(ids(2));
  assert.deepEqual(answer, { job_id: "575768277444198400", request_id: "req-200" });
  const [sent] = stub.received;
  assert.equal(sent.method, "PATCH");
  assert.equal(sent.url, `/v1/${PROJECT}/app-servers/actions/batch-update-tsvi`);
  assert.equal(sent.headers["x-auth-token"], TOKEN);
  assert.equal(sent.headers["x-project-id"], PROJECT);
  assert.equal(sent.headers["content-type"], "application/json");
  assert.deepEqual(JSON.parse(sent.body), { items: ids(2) });
});

for (const status of [400, 401, 403, 404, 405, 409, 500, 503]) {
  test(`HTTP ${status} rejects with an ApiError carrying every field`, async () => {
    const stub = await stubWith((req, res) =>
      reply(res, status, { error_code: `WKS.${status}`, error_msg: `failed with ${status}` }),
    );
    const error = await client(stub.url).batchUpdateTsvi(ids(1)).then(
      () => assert.fail("should reject"),
      (e) => e,
    );
    assert.ok(error instanceof Error);
    assert.equal(error.name, "ApiError");
    assert.equal(error.code, status === 401 || status === 403 ? "auth" : "service");
    assert.equal(error.status, status);
    assert.equal(error.error_code, `WKS.${status}`);
    assert.equal(error.error_msg, `failed with ${status}`);
    assert.equal(error.request_id, `req-${status}`);
    assert.ok(!`${error.message} ${error.stack} ${JSON.stringify(error)}`.includes(TOKEN));
    assert.equal(stub.received.length, 1, "never retried");
  });
}

test("an HTML error page is kept, truncated, as the body", async () => {
  const page = `<html>${"x".repeat(5000)}</html>`;
  const stub = await stubWith((req, res) => reply(res, 502, page, { "content-type": "text/html" }));
  const error = await client(stub.url).showServer("srv-1").catch((e) => e);
  assert.equal(error.name, "ApiError");
  assert.equal(error.error_code, "502");
  assert.equal(error.body.length, 2048);
});

test("a server that never answers gives a TimeoutError", async () => {
  const stub = await stubWith(() => {}); // holds the request open
  const started = Date.now();
  const error = await client(stub.url, { timeoutMs: 200 }).batchUpdateTsvi(ids(1)).catch((e) => e);
  assert.equal(error.name, "TimeoutError");
  assert.equal(error.code, "timeout");
  assert.equal(error.timeoutMs, 200);
  assert.ok(Date.now() - started < 5000);
});

test("a refused connection gives a NetworkError that says nothing was sent", async () => {
  const stub = await startStub(() => {});
  const url = stub.url;
  await stub.close();
  const error = await client(url).listServers({ limit: 10 }).catch((e) => e);
  assert.equal(error.name, "NetworkError");
  assert.equal(error.code, "network");
  assert.equal(error.sent, false);
  assert.match(error.message, /ECONNREFUSED/);
});

test("an aborted signal gives an AbortError", async () => {
  const stub = await stubWith(() => {});
  const controller = new AbortController();
  const pending = client(stub.url).showJob("575768277444198400", { signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  const error = await pending.catch((e) => e);
  assert.equal(error.name, "AbortError");
  const already = await client(stub.url).showJob("1", { signal: AbortSignal.abort() }).catch((e) => e);
  assert.equal(already.name, "AbortError");
});

test("an invalid batch rejects with every problem and sends nothing", async () => {
  const stub = await stubWith((req, res) => reply(res, 200, { job_id: "1" }));
  const c = client(stub.url);
  for (const bad of [[], ids(21), [{ id: "a", enable: "true" }], [{ id: "a", enable: true }, { id: "a", enable: true }], "nope"]) {
    const error = await c.batchUpdateTsvi(bad).catch((e) => e);
    assert.equal(error.name, "ValidationError", JSON.stringify(bad));
    assert.equal(error.code, "validation");
    assert.ok(error.errors.length >= 1);
  }
  const error = await c.batchUpdateTsvi([{ id: "bad id", enable: 1, x: 2 }]).catch((e) => e);
  assert.deepEqual(error.errors.map((e) => [e.path, e.code]), [
    ["/items/0/x", "item.unknown_field"],
    ["/items/0/id", "id.invalid"],
    ["/items/0/enable", "enable.not_boolean"],
  ]);
  assert.equal(stub.received.length, 0);
});

test("list calls send the canonical query and return { count, items }", async () => {
  const server = { id: "s1", name: "app-01", vm_status: "ACTIVE", session_count: 3, brand_new_field: 1 };
  const stub = await stubWith((req, res) => reply(res, 200, { count: 1, items: [server] }));
  const page = await client(stub.url).listServers({ limit: 100, offset: 0, server_name: "a b", maintain_status: false });
  assert.equal(stub.received[0].url, `/v1/${PROJECT}/app-servers?limit=100&maintain_status=false&offset=0&server_name=a%20b`);
  assert.equal(page.count, 1);
  assert.equal(page.items[0].name, "app-01");
  assert.equal(page.items[0].session_count, 3);
  const bad = await client(stub.url).listServers({ limit: 0 }).catch((e) => e);
  assert.equal(bad.errors[0].code, "query.out_of_range");
  assert.equal(stub.received.length, 1);
});

// A listing of `total` servers, each page answering after `delayMs(offset)`; it counts the
// pages in flight at once.
async function pagedStub(total, delayMs) {
  const seen = { maxInFlight: 0 };
  let inFlight = 0;
  const stub = await stubWith((req, res) => {
    const offset = Number(new URL(req.url, "http://x").searchParams.get("offset"));
    inFlight += 1;
    seen.maxInFlight = Math.max(seen.maxInFlight, inFlight);
    setTimeout(() => {
      inFlight -= 1;
      const items = Array.from({ length: Math.min(100, total - offset) }, (_, i) => ({ id: `s${offset + i}` }));
      reply(res, 200, { count: total, items });
    }, delayMs(offset));
  });
  return Object.assign(stub, { seen });
}

test("listAllServers reads every page, the later ones in parallel, and reports progress", async () => {
  const total = 250;
  const stub = await pagedStub(total, () => 20);
  const progress = [];
  const all = await client(stub.url).listAllServers({ server_group_id: "g1" }, {
    concurrency: 2,
    onProgress: (loaded, of) => progress.push([loaded, of]),
  });
  assert.equal(all.items.length, total);
  assert.equal(new Set(all.items.map((s) => s.id)).size, total);
  assert.equal(stub.received.length, 3);
  assert.ok(stub.received.every((r) => r.url.includes("limit=100") && r.url.includes("server_group_id=g1")));
  assert.equal(stub.seen.maxInFlight, 2, "pages after the first go out together");
  assert.deepEqual(progress.at(-1), [250, 250]);
});

test("listAllServers keeps the pages in order when later ones answer first", async () => {
  const total = 650;
  // The further the page, the sooner it answers.
  const stub = await pagedStub(total, (offset) => (offset === 0 ? 0 : 70 - offset / 10));
  const all = await client(stub.url).listAllServers({}, { concurrency: 3 });
  assert.deepEqual(all.items.map((s) => s.id), Array.from({ length: total }, (_, i) => `s${i}`));
  assert.equal(stub.received.length, 7);
  assert.equal(stub.seen.maxInFlight, 3);
});

test("show calls, jobs and sub-jobs hit the documented paths", async () => {
  const stub = await stubWith((req, res) => {
    if (req.url.startsWith("/v2/")) return reply(res, 200, { id: "42", status: "RUNNING", sub_jobs: [] });
    if (req.url.includes("sub-jobs")) return reply(res, 200, { count: 0, items: [] });
    if (req.url.includes("app-server-groups/")) return reply(res, 200, { id: "g1", ip_virtual: { enable: true } });
    return reply(res, 200, { id: "s1" });
  });
  const c = client(stub.url);
  assert.equal((await c.showJob("42")).status, "RUNNING");
  assert.deepEqual((await c.showServerGroup("g1")).ip_virtual, { enable: true });
  await c.showServer("s1");
  await c.listSubJobs({ job_id: "42" });
  await c.batchChangeMaintainMode(["s1", "s2"], true);
  assert.deepEqual(stub.received.map((r) => `${r.method} ${r.url}`), [
    `GET /v2/${PROJECT}/job/42`,
    `GET /v1/${PROJECT}/app-server-groups/g1`,
    `GET /v1/${PROJECT}/app-servers/s1`,
    `GET /v1/${PROJECT}/app-server-sub-jobs?job_id=42&job_type=UPDATE_SERVER_TSVI`,
    `PATCH /v1/${PROJECT}/app-servers/actions/batch-maint`,
  ]);
  assert.deepEqual(JSON.parse(stub.received.at(-1).body), { items: ["s1", "s2"], maintain_status: true });
});

test("AK/SK calls carry a signature, a date and the security token, never the SK", async () => {
  const stub = await stubWith((req, res) => reply(res, 200, { count: 0, items: [] }));
  const c = new Client({ endpoint: stub.url, projectId: PROJECT, auth: { ak: "AKID", sk: "SK-SECRET", securityToken: "STS" } });
  await c.listServerGroups({ limit: 5 });
  const { headers } = stub.received[0];
  assert.match(headers.authorization, /^SDK-HMAC-SHA256 Access=AKID, SignedHeaders=content-type;host;x-project-id;x-sdk-date;x-security-token, Signature=[0-9a-f]{64}$/);
  assert.match(headers["x-sdk-date"], /^\d{8}T\d{6}Z$/);
  assert.equal(headers["x-security-token"], "STS");
  assert.ok(!JSON.stringify(stub.received).includes("SK-SECRET"));
});

test("a bad configuration throws a ValidationError listing every problem", () => {
  assert.throws(
    () => new Client({ endpoint: "http://example.com", projectId: "nope", auth: { token: "t", ak: "a" } }),
    (e) => e.name === "ValidationError" && e.errors.map((i) => i.code).join() === "endpoint.insecure,projectId.invalid,auth.ambiguous",
  );
  assert.throws(() => new Client({ region: "mars-1", projectId: PROJECT, auth: { none: true } }), /region/);
  assert.equal(new Client({ region: "cn-north-4", projectId: PROJECT, auth: { none: true } }).endpoint, "https://appstream.cn-north-4.myhuaweicloud.com");
});

test("validateBatchRequest accepts the seed example and refuses the string \"true\"", () => {
  const seed = { items: [{ id: "3f791197-d166-4c8e-81e4-38c40ffc1989", enable: true }, { id: "62f48b59-0ebb-4b1e-ad35-f64948a0591b", enable: true }] };
  assert.deepEqual(validateBatchRequest(seed), { ok: true, errors: [] });
  const result = validateBatchRequest({ items: [{ id: "x", enable: "true" }] });
  assert.equal(result.ok, false);
  assert.deepEqual(result.errors[0], { path: "/items/0/enable", code: "enable.not_boolean", message: "enable must be true or false, not string" });
});
