// The app every bundler builds with no configuration (tests/consumers/check.sh): the package
// imported by name, then real calls against the gateway that serves the page (in proxy mode:
// the gateway signs, the page holds no key), under the gateway's Content-Security-Policy.
import { Client, ApiError, ValidationError, validateBatchRequest } from "workspace-tsvi";

const out = document.getElementById("result");
try {
  const { projectId } = await (await fetch("/config.json")).json();
  const client = new Client({ endpoint: location.origin, projectId, auth: { none: true } });
  const page = await client.listServers({ limit: 5 });
  const missing = await client.showServer("no-such-server").catch((e) => e);
  let refused;
  try {
    new Client({ endpoint: location.origin, projectId: "short", auth: { none: true } });
  } catch (e) {
    refused = e;
  }
  out.textContent = JSON.stringify({
    servers: page.items.length,
    firstId: typeof page.items[0]?.id,
    apiError: missing instanceof ApiError ? [missing.name, missing.status, missing.error_code] : String(missing),
    validationError: refused instanceof ValidationError ? refused.errors[0].code : String(refused),
    validate: validateBatchRequest({ items: [] }).ok,
  });
} catch (error) {
  out.textContent = `error: ${error.name}: ${error.message}`;
}
