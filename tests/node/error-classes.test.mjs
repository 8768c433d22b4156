// The error classes are exported and every error the module throws is an instance of its kind's
// class, with that kind's fields: from ESM and CommonJS (the same classes), main and lean entries.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import * as main from "workspace-tsvi";
import * as lean from "workspace-tsvi/client";
import { startStub, reply, stubPool } from "./stub.mjs";

const require = createRequire(import.meta.url);
const PROJECT = "0123456789abcdef0123456789abcdef";
const KINDS = ["ValidationError", "ApiError", "TimeoutError", "NetworkError", "AbortError"];
const stubs = stubPool();
after(stubs.close);

/** One real error of each kind, thrown by `entry`. */
async function errorsOf(entry) {
  const client = (endpoint, extra = {}) => new entry.Client({ endpoint, projectId: PROJECT, auth: { token: "t" }, ...extra });
  const api = await stubs.start((req, res) => reply(res, 403, { error_code: "WKS.0001", error_msg: "denied" }, { "x-request-id": "req-1" }));
  const silent = await stubs.start(() => {});
  const closed = await startStub(() => {});
  await closed.close();
  let validation;
  try {
    new entry.Client({ projectId: "short" });
  } catch (e) {
    validation = e;
  }
  return {
    ValidationError: validation,
    ApiError: await client(api.url, { retry: false }).listServers().catch((e) => e),
    TimeoutError: await client(silent.url, { timeoutMs: 100 }).batchUpdateTsvi([{ id: "a", enable: true }]).catch((e) => e),
    NetworkError: await client(closed.url, { retry: false }).showServer("a").catch((e) => e),
    AbortError: await client(silent.url).showJob("1", { signal: AbortSignal.abort() }).catch((e) => e),
  };
}

for (const [label, entry] of [["workspace-tsvi", main], ["workspace-tsvi/client", lean]]) {
  test(`${label}: each error is an instance of its own class only, with its kind's fields`, async () => {
    const errors = await errorsOf(entry);
    for (const kind of KINDS) {
      const error = errors[kind];
      assert.equal(typeof entry[kind], "function", `${kind} is exported`);
      assert.ok(error instanceof entry[kind], `${kind}: ${error}`);
      assert.ok(error instanceof Error);
      assert.equal(error.name, kind);
      assert.equal(error.constructor, entry[kind]);
      assert.match(error.stack, new RegExp(`^${kind}: `));
      for (const other of KINDS.filter((k) => k !== kind)) assert.ok(!(error instanceof entry[other]), `${kind} is not a ${other}`);
    }
    const { ValidationError, ApiError, TimeoutError, NetworkError, AbortError } = errors;
    assert.deepEqual([ValidationError.code, ValidationError.errors.map((i) => i.code)], ["validation", ["endpoint.missing", "projectId.invalid", "auth.missing"]]);
    assert.deepEqual(
      [ApiError.code, ApiError.status, ApiError.error_code, ApiError.error_msg, ApiError.request_id],
      ["auth", 403, "WKS.0001", "denied", "req-1"],
    );
    assert.deepEqual([TimeoutError.code, TimeoutError.timeoutMs], ["timeout", 100]);
    assert.deepEqual([NetworkError.code, NetworkError.sent], ["network", false]);
    assert.equal(AbortError.code, "aborted");
  });
}

test("CommonJS gets the same classes as ESM, so instanceof holds across both", async () => {
  for (const [spec, entry] of [["workspace-tsvi", main], ["workspace-tsvi/client", lean]]) {
    const cjs = require(spec);
    for (const kind of KINDS) assert.equal(cjs[kind], entry[kind], `${spec} ${kind}`);
    const thrown = await new cjs.Client({ endpoint: "http://127.0.0.1:1", projectId: PROJECT, auth: { token: "t" } })
      .listServers({ limit: 1 }, { signal: AbortSignal.abort() })
      .catch((e) => e);
    assert.ok(thrown instanceof entry.AbortError);
  }
});
