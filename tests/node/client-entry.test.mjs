// The lean entry, workspace-tsvi/client: the client, validation, batching and signing without the
// rollout engine, as ESM and CommonJS, against the gateway in simulator mode.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { readFileSync, statSync } from "node:fs";
import * as lean from "workspace-tsvi/client";
import * as full from "workspace-tsvi";
import { startGateway, PROJECT, AK, SK } from "./gateway.mjs";

const require = createRequire(import.meta.url);
const vectors = JSON.parse(readFileSync(new URL("../vectors/signing.json", import.meta.url), "utf8"));

let gw;
before(async () => {
  gw = await startGateway(["--seed", "5", "--servers", "30", "--groups", "2", "--job-ms", "3000"]);
});
after(() => gw?.stop());

const ERROR_CLASSES = ["AbortError", "ApiError", "NetworkError", "TimeoutError", "ValidationError"];
const LEAN_EXPORTS = [...ERROR_CLASSES, "Client", "planBatches", "signRequest", "validateBatchRequest", "validateClientConfig"].sort();
const ROLLOUT_METHODS = ["planRollout", "runRollout", "resumeRollout"];

test("the lean entry exports the client and the pure functions, and nothing of the rollout engine", () => {
  assert.deepEqual(Object.keys(lean).sort(), LEAN_EXPORTS);
  for (const name of ROLLOUT_METHODS) {
    assert.equal(typeof lean.Client.prototype[name], "undefined", name);
    assert.equal(typeof full.Client.prototype[name], "function", `the main entry keeps ${name}`);
  }
  assert.equal(lean.reportToCsv, undefined);
  assert.equal(typeof full.reportToCsv, "function");
});

test("the lean entry loads through require() too, with the same exports", () => {
  const cjs = require("workspace-tsvi/client");
  for (const name of LEAN_EXPORTS) assert.equal(typeof cjs[name], "function", name);
  assert.equal(cjs.reportToCsv, undefined);
  assert.equal(cjs.planBatches(["a", "b", "a"]).duplicates.length, 1);
});

test("the lean module is a separate, smaller build", () => {
  // Each entry's one copy of its module (inlined for the web build, read by the Node build).
  const wasm = (spec) => statSync(new URL("../web/wasm.js", new URL(import.meta.resolve(spec)))).size;
  assert.ok(wasm("workspace-tsvi/client") < wasm("workspace-tsvi"), "the lean .wasm leaves the rollout engine out");
});

test("the lean signRequest matches the official vectors, as the main entry's does", () => {
  for (const { name, input, expected } of vectors.cases) {
    const signed = lean.signRequest({
      method: input.method,
      url: input.url,
      query: input.query,
      headers: input.headers,
      body: input.body,
      ak: input.ak,
      sk: input.sk,
      securityToken: input.security_token ?? undefined,
      sdkDate: input.sdk_date,
    });
    assert.equal(signed.headers.Authorization, expected.authorization, name);
  }
});

test("the lean validators and errors behave as the main entry's", () => {
  const bad = { items: [{ id: "", enable: "yes" }] };
  assert.deepEqual(lean.validateBatchRequest(bad), full.validateBatchRequest(bad));
  assert.equal(lean.validateClientConfig({ projectId: "x" }).ok, false);
  const refused = (() => {
    try {
      new lean.Client({ endpoint: "ftp://x", projectId: "nope", auth: {} });
    } catch (e) {
      return e;
    }
  })();
  assert.ok(refused instanceof Error);
  assert.equal(refused.name, "ValidationError");
  assert.ok(refused.errors.length >= 2);
});

test("the lean Client makes real signed calls against the gateway, a reboot included", async () => {
  const client = new lean.Client({ endpoint: gw.url, projectId: PROJECT, auth: { ak: AK, sk: SK } });
  const all = await client.listAllServers({}, { concurrency: 2 });
  assert.equal(all.count, 30);
  assert.equal(new Set(all.items.map((s) => s.id)).size, 30);
  const groups = await client.listServerGroups({ limit: 100 });
  assert.equal(groups.count, 2);
  const group = await client.showServerGroup(groups.items[0].id);
  assert.equal(typeof group.ip_virtual?.enable, "boolean");

  const idle = all.items.find((s) => s.vm_status === "ACTIVE" && !s.maintain_status && !s.task_status && !["WAITING", "RUNNING"].includes(s.job_status));
  assert.ok(idle, "an idle server");
  const { job_id, request_id } = await client.batchUpdateTsvi([{ id: idle.id, enable: true }]);
  assert.match(job_id, /^\d+$/);
  assert.ok(request_id);
  await gw.advance(60_000);
  assert.equal((await client.showJob(job_id)).status, "SUCCESS");
  const ledger = await gw.ledger();
  assert.ok(ledger.find((e) => e.status === 200 && e.ids.includes(idle.id))?.applied);

  const wrong = await new lean.Client({ endpoint: gw.url, projectId: PROJECT, auth: { ak: AK, sk: "not-the-key" } })
    .listServers({ limit: 1 })
    .catch((e) => e);
  assert.equal(wrong.name, "ApiError");
  assert.equal(wrong.status, 401);
});
