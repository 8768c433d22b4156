// Loads the lean web build (workspace-tsvi/client) the way a page does, then uses it against the
// gateway that served it, under the gateway's Content-Security-Policy.
import * as lean from "/pkg/client/web/index.js";

const out = document.getElementById("result");
try {
  const { Client, signRequest, validateBatchRequest, planBatches } = lean;
  const config = await (await fetch("/config.json")).json();
  const signed = new Client({ endpoint: location.origin, projectId: config.projectId, auth: { ak: config.ak, sk: config.sk } });
  const all = await signed.listAllServers({}, { concurrency: 2 });
  const bad = await new Client({ endpoint: location.origin, projectId: config.projectId, auth: { token: "wrong" } })
    .listServers({ limit: 1 })
    .catch((e) => e);
  out.textContent = JSON.stringify({
    exports: Object.keys(lean).sort(),
    rollout: ["planRollout", "runRollout", "resumeRollout"].filter((m) => m in Client.prototype),
    servers: all.items.length,
    wrongToken: [bad.name, bad.status, bad instanceof lean.ApiError],
    validation: validateBatchRequest({ items: [] }).errors[0]?.code,
    batches: planBatches(["a", "b", "a"]).batches,
    signature: signRequest({ method: "GET", url: "https://h.example/x", ak: "A", sk: "S", sdkDate: "20240102T030405Z" }).signature.length,
  });
} catch (e) {
  out.textContent = `error: ${e?.name}: ${e?.message}`;
}
