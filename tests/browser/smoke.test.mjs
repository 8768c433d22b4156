// The web build in a real browser: it instantiates from a plain import, signs with AK/SK,
// pages through servers, and reports errors as Error objects, all under the gateway's CSP.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startGateway } from "../node/gateway.mjs";
import { fixtureResult, launch } from "./chromium.mjs";

const fixture = fileURLToPath(new URL("./fixture", import.meta.url));
let gw;
let browser;
before(async () => {
  gw = await startGateway(["--servers", "150", "--www", fixture]);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await gw?.stop();
});

test("the web build works in Chromium under the gateway's CSP", async () => {
  const { text, problems } = await fixtureResult(browser, `${gw.url}/`);
  assert.ok(!text.startsWith("error"), text);
  const result = JSON.parse(text);
  assert.deepEqual(result, {
    servers: 150,
    count: 150,
    ipVirtualIsBoolean: true,
    wrongToken: ["ApiError", 401, "auth", true, true],
    aborted: ["AbortError", true],
    validation: "items.empty",
    signature: 64,
  });
  // Only the deliberate 401 (and the browser's favicon probe) may fail.
  assert.deepEqual(problems, []);
});
