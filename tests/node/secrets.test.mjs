// Canary credentials through every failure path the client has: 401, 403, 500 and 200 bodies
// that echo the request's headers, a header-echoing server, hostile bodies, a redirect, a
// timeout, a refused connection, and a rollout with faults on the gateway. Every error
// (message, stack, JSON, every own property), every event, the report, its CSV and every
// console line is searched for the canaries.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Client, reportToCsv } from "workspace-tsvi";
import { reply, startStub, stubPool } from "./stub.mjs";
import { startGateway, PROJECT as GW_PROJECT, AK as GW_AK, SK as GW_SK, TOKEN as GW_TOKEN } from "./gateway.mjs";

const PROJECT = "0123456789abcdef0123456789abcdef";
const TOKEN = "canary-token-2f7d91";
const SK = "canary-sk-a83c05";
const SECURITY_TOKEN = "canary-sts-4e6b28";
const CANARIES = [TOKEN, SK, SECURITY_TOKEN];
const stubs = stubPool();
after(stubs.close);

// Every console line, whoever writes it.
const consoleLines = [];
for (const level of ["log", "info", "warn", "error", "debug"]) {
  const original = console[level].bind(console);
  console[level] = (...args) => {
    consoleLines.push(args.map(String).join(" "));
    original(...args);
  };
}

function everything(error) {
  const own = Object.getOwnPropertyNames(error ?? {}).map((k) => `${k}=${typeof error[k] === "object" ? JSON.stringify(error[k]) : String(error[k])}`);
  return [String(error), error?.message, error?.stack, JSON.stringify(error), ...own].join("\n");
}

function assertClean(text, canaries, where) {
  for (const canary of canaries) assert.ok(!text.includes(canary), `${canary} leaked in ${where}:\n${text.slice(0, 2000)}`);
}

const echoAll = (req) => JSON.stringify(req.headers);
const HOSTILE = {
  "401 echoing the headers": (req, res) => reply(res, 401, { error_code: "APIGW.0301", error_msg: `bad credentials ${echoAll(req)}` }),
  "403 echoing the headers": (req, res) => reply(res, 403, { error_msg: echoAll(req) }),
  "500 with the headers as HTML": (req, res) => reply(res, 500, `<pre>${echoAll(req)}</pre>`, { "content-type": "text/html" }),
  "200 that is not JSON": (req, res) => reply(res, 200, `oops ${echoAll(req)}`),
  "a header-echoing server": (req, res) =>
    reply(res, 404, { error_code: "X", error_msg: "n" }, { "x-request-id": `${req.headers["x-auth-token"] ?? ""}|${req.headers["x-security-token"] ?? ""}` }),
  "an answer nested 5000 deep": (req, res) => reply(res, 401, '{"a":'.repeat(5000) + JSON.stringify(echoAll(req)) + "}".repeat(5000)),
  "a redirect": (req, res) => {
    res.writeHead(307, { location: `http://127.0.0.1:9/?t=${encodeURIComponent(echoAll(req))}` });
    res.end();
  },
  "no answer (timeout)": () => {},
};

const clients = {
  token: (endpoint, onEvent) => new Client({ endpoint, projectId: PROJECT, auth: { token: TOKEN }, timeoutMs: 300, retry: { maxAttempts: 2, baseMs: 1, maxMs: 5 } }, { onEvent }),
  "AK/SK with a security token": (endpoint, onEvent) =>
    new Client(
      { endpoint, projectId: PROJECT, auth: { ak: "CANARYAK", sk: SK, securityToken: SECURITY_TOKEN }, timeoutMs: 300, retry: { maxAttempts: 2, baseMs: 1, maxMs: 5 } },
      { onEvent },
    ),
};

for (const [kind, make] of Object.entries(clients)) {
  for (const [name, handler] of Object.entries(HOSTILE)) {
    test(`${kind}: ${name} leaks no secret`, async () => {
      const stub = await stubs.start(handler);
      const events = [];
      const client = make(stub.url, (e) => events.push(e));
      const calls = [
        () => client.listServers({ limit: 1 }),
        () => client.showServerGroup("g1"),
        () => client.batchUpdateTsvi([{ id: "srv-1", enable: true }]),
        () => client.listAllServers({}),
        () => client.planRollout([{ id: "srv-1", server_group_id: "g1", vm_status: "ACTIVE" }], {}),
      ];
      for (const call of calls) {
        const error = await call().then(() => null, (e) => e);
        assert.ok(error, "the call failed");
        assertClean(everything(error), CANARIES, `${name}: the error`);
      }
      assertClean(JSON.stringify(events), CANARIES, `${name}: the events`);
    });
  }

  test(`${kind}: a refused connection leaks no secret`, async () => {
    const stub = await startStub(() => {});
    const url = stub.url;
    await stub.close();
    const error = await make(url, () => {}).listServers({ limit: 1 }).catch((e) => e);
    assert.equal(error.name, "NetworkError");
    assertClean(everything(error), CANARIES, "a network error");
  });
}

test("a rollout with faults on the gateway, by token and by AK/SK, leaks no secret", { timeout: 300_000 }, async () => {
  const gw = await startGateway(["--servers", "120", "--groups", "3", "--job-ms", "200", "--seed", "11"]);
  try {
    for (const auth of [{ token: GW_TOKEN }, { ak: GW_AK, sk: GW_SK }]) {
      await gw.faults({});
      const events = [];
      const client = new Client({ endpoint: gw.url, projectId: GW_PROJECT, auth, timeoutMs: 5000, retry: { maxAttempts: 3, baseMs: 5, maxMs: 50 } }, { onEvent: (e) => events.push(e) });
      const all = await client.listAllServers({});
      const plan = await client.planRollout(all.items, { includeBusy: true, maxUnavailable: "50%" });
      await gw.faults({ p429: 0.05, p500: 0.05, p503: 0.05, p_reset: 0.05, p_applied_then_500: 0.05, retry_after_s: 0, seed: 3 });
      const runEvents = [];
      const reports = [];
      const report = await client.runRollout(plan, {
        pollIntervalMs: 50,
        onEvent: (e) => runEvents.push(e),
        onReport: (r) => reports.push(JSON.stringify(r)),
      });
      await gw.faults({});
      const secrets = [GW_TOKEN, GW_SK];
      assertClean(JSON.stringify(report), secrets, "the report");
      assertClean(reportToCsv(report), secrets, "the CSV");
      assertClean(reports.join("\n"), secrets, "the saved reports");
      assertClean(JSON.stringify(runEvents), secrets, "the run's events");
      assertClean(JSON.stringify(events), secrets, "the client's events");
      assertClean(JSON.stringify(plan), secrets, "the plan");
      // A wrong credential, then errors from the gateway itself.
      const wrong = new Client({ endpoint: gw.url, projectId: GW_PROJECT, auth: auth.token ? { token: TOKEN } : { ak: GW_AK, sk: SK } });
      const error = await wrong.listServers({ limit: 1 }).catch((e) => e);
      assert.equal(error.status, 401);
      assertClean(everything(error), [...secrets, ...CANARIES], "a 401 from the gateway");
    }
  } finally {
    await gw.stop();
  }
});

test("no console line carried a secret", () => {
  assertClean(consoleLines.join("\n"), [...CANARIES, GW_TOKEN, GW_SK], "the console");
});
