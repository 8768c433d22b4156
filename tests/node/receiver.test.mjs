// Client methods called on another receiver or after free() fail with a clear TypeError, and the
// module stays usable: before the guard, each such call unwound through wasm with "null pointer
// passed to rust" and leaked its stack, and after about 8,000 of them every export trapped.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import * as main from "workspace-tsvi";
import * as lean from "workspace-tsvi/client";
import { reply, stubPool } from "./stub.mjs";

const require = createRequire(import.meta.url);
const PROJECT = "0123456789abcdef0123456789abcdef";
const stubs = stubPool();
after(stubs.close);
const WRONG = /^workspace-tsvi: Client methods must be called on a Client that has not been freed$/;

for (const [label, entry] of [["workspace-tsvi", main], ["workspace-tsvi/client", lean], ["require('workspace-tsvi')", require("workspace-tsvi")]]) {
  test(`${label}: 10,000 calls on a wrong receiver or a freed client, then a normal call`, async () => {
    const stub = await stubs.start((req, res) => reply(res, 200, { id: "srv-1", name: "one" }));
    const config = { endpoint: stub.url, projectId: PROJECT, auth: { token: "t" } };
    const freed = new entry.Client(config);
    freed.free();
    const receivers = [{}, null, undefined, freed, Object.create(entry.Client.prototype), { __wbg_ptr: 8 }];
    const methods = ["showServer", "listServers", "batchUpdateTsvi", "showJob"];
    for (let i = 0; i < 10_000; i++) {
      const method = methods[i % methods.length];
      const receiver = receivers[i % receivers.length];
      assert.throws(() => entry.Client.prototype[method].call(receiver, "srv-1"), (e) => e instanceof TypeError && WRONG.test(e.message));
    }
    assert.throws(() => freed.endpoint, TypeError);
    freed.free(); // a second free is harmless
    const server = await new entry.Client(config).showServer("srv-1");
    assert.equal(server.name, "one");
  });
}
