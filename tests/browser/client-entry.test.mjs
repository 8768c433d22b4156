// The lean web build (workspace-tsvi/client) in a real browser: it instantiates from a plain
// import, has no rollout engine, signs with AK/SK and pages through servers under the CSP.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startGateway } from "../node/gateway.mjs";
import { fixtureResult, launch } from "./chromium.mjs";

const fixture = fileURLToPath(new URL("./fixture-client", import.meta.url));
let gw;
let browser;
before(async () => {
  gw = await startGateway(["--servers", "120", "--www", fixture]);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await gw?.stop();
});

test("the lean web build works in Chromium without the rollout engine", async () => {
  const { text, problems } = await fixtureResult(browser, `${gw.url}/`);
  assert.ok(!text.startsWith("error"), text);
  assert.deepEqual(JSON.parse(text), {
    exports: ["AbortError", "ApiError", "Client", "NetworkError", "TimeoutError", "ValidationError", "initSync", "planBatches", "signRequest", "validateBatchRequest", "validateClientConfig"],
    rollout: [],
    servers: 120,
    wrongToken: ["ApiError", 401, true],
    validation: "items.empty",
    batches: [["a", "b"]],
    signature: 64,
  });
  assert.deepEqual(problems, []);
});
