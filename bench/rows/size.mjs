// Row 1, size: what a browser downloads for each of our entries (scripts/entry-size.mjs, the
// figures `make pkg` prints), beside Huawei's Node core client bundled for
// Node and the AWS AppStream client with one UpdateFleetCommand bundled for the browser (esbuild,
// minified, gzip -9). Ours are read from pkg/ as `make pkg` built it.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { entrySize } from "../../scripts/entry-size.mjs";
import { BENCH, ROOT, SMOKE, benchPeer, emit, peerVersion, round, times, verdict } from "../lib.mjs";

const gzip9 = (bytes) => execFileSync("gzip", ["-9c"], { input: bytes, maxBuffer: 64 << 20 }).length;
const kb = (bytes) => `${(bytes / 1000).toFixed(1)} KB`;

const ours = (dir) => entrySize(path.join(ROOT, dir));

// The core's AKSKSigner and HTTP client, the way the unpublished services/workspaceapp client
// of huaweicloud-sdk-nodejs-v3 builds on them (the same subpath imports as its generated clients).
const HUAWEI_ENTRY = `
const { ClientBuilder } = require("@huaweicloud/huaweicloud-sdk-core/ClientBuilder");
const { HcClient } = require("@huaweicloud/huaweicloud-sdk-core/HcClient");
const { BasicCredentials } = require("@huaweicloud/huaweicloud-sdk-core");
module.exports.send = (ak, sk, projectId, endpoint, ids) => {
  const client = new ClientBuilder((hc) => hc).withCredential(new BasicCredentials().withAk(ak).withSk(sk).withProjectId(projectId)).withEndpoint(endpoint).build();
  return client.sendRequest({ method: "PATCH", url: "/v1/{project_id}/app-servers/actions/batch-update-tsvi", contentType: "application/json", headers: {}, queryParams: {}, pathParams: {}, data: { items: ids.map((id) => ({ id, enable: true })) } });
};
module.exports.HcClient = HcClient;
`;
const AWS_ENTRY = `
import { AppStreamClient, UpdateFleetCommand } from "@aws-sdk/client-appstream";
export const update = (region, name) => new AppStreamClient({ region }).send(new UpdateFleetCommand({ Name: name, MaxConcurrentSessions: 1 }));
`;

async function bundle(contents, platform) {
  const esbuild = await import(benchPeer("esbuild"));
  const out = await esbuild.build({
    stdin: { contents, resolveDir: BENCH, loader: "js" },
    bundle: true,
    minify: true,
    platform,
    format: platform === "node" ? "cjs" : "esm",
    target: platform === "node" ? "node18" : "es2020",
    write: false,
    logLevel: "silent",
  });
  const code = out.outputFiles[0].contents;
  return { raw: code.length, gz: gzip9(code) };
}

const main = ours("pkg");
const lean = ours("pkg/client");
const notes = [];
let huawei = null;
let aws = null;
if (benchPeer("esbuild") && benchPeer("@huaweicloud/huaweicloud-sdk-core") && benchPeer("@aws-sdk/client-appstream")) {
  huawei = await bundle(HUAWEI_ENTRY, "node");
  aws = await bundle(AWS_ENTRY, "browser");
} else {
  notes.push("size: the peers' bundles skipped (esbuild or a peer is not installed in bench/; `make bench` installs them)");
}

const huaweiName = `Huawei Node core ${peerVersion("@huaweicloud/huaweicloud-sdk-core") ?? ""} (Node bundle)`;
const awsName = `@aws-sdk/client-appstream ${peerVersion("@aws-sdk/client-appstream") ?? ""} + UpdateFleetCommand (browser bundle)`;
const line = (measure, figures, budget) => ({
  measure,
  ours: kb(figures.total),
  peer: `${huaweiName}; ${awsName}`,
  peerFigure: huawei && aws ? `${kb(huawei.gz)}; ${kb(aws.gz)}` : "skipped",
  ratio: huawei && aws ? `${times(figures.total / huawei.gz)}; ${times(figures.total / aws.gz)}` : "n/a",
  target: `≤ ${budget} KB`,
  met: verdict(figures.total <= budget * 1000),
});

emit({
  id: "size",
  title: "1. Size (web build: wasm + JS glue, gzip -9; 1 KB = 1,000 B; ratio = ours / peer)",
  smoke: SMOKE,
  entries: [line("`workspace-tsvi` (main entry)", main, 100), line("`workspace-tsvi/client` (lean entry)", lean, 45)],
  raw: { main, lean, huaweiNodeBundle: huawei, awsBrowserBundle: aws },
  numbers: { mainKb: round(main.total / 1000), leanKb: round(lean.total / 1000), huaweiKb: huawei && round(huawei.gz / 1000), awsKb: aws && round(aws.gz / 1000) },
  notes,
});
