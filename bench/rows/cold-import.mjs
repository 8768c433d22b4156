// Row 7, Node cold import: `import("workspace-tsvi")` (and the lean entry) in a new Node process,
// timed inside it from before the import to after it, median of 10 processes; against the
// official Node core's cold `require` of what its clients load (ClientBuilder, HcClient,
// BasicCredentials). Processes alternate. Ratio = ours / peer.
import { execFileSync } from "node:child_process";
import { BENCH, SMOKE, benchPeer, emit, median, ms, peerVersion, round, times } from "../lib.mjs";

const PROCESSES = SMOKE ? 1 : 10;
const timed = (code) => `const t0 = performance.now(); ${code}; console.log(performance.now() - t0);`;
const cases = [
  { name: "workspace-tsvi", code: timed(`await import("workspace-tsvi")`), esm: true },
  { name: "workspace-tsvi/client", code: timed(`await import("workspace-tsvi/client")`), esm: true },
];
if (benchPeer("@huaweicloud/huaweicloud-sdk-core")) {
  cases.push({
    name: `Huawei Node core ${peerVersion("@huaweicloud/huaweicloud-sdk-core")}`,
    code: timed(`require("@huaweicloud/huaweicloud-sdk-core/ClientBuilder"); require("@huaweicloud/huaweicloud-sdk-core/HcClient"); require("@huaweicloud/huaweicloud-sdk-core")`),
    esm: false,
    peer: true,
  });
}
for (const c of cases) c.runs = [];
for (let p = 0; p < PROCESSES; p++) {
  for (const c of cases) {
    const args = c.esm ? ["--input-type=module", "-e", c.code] : ["-e", c.code];
    c.runs.push(Number(execFileSync(process.execPath, args, { cwd: BENCH, encoding: "utf8" }).trim()));
  }
}
const peer = cases.find((c) => c.peer);
emit({
  id: "cold-import",
  title: `7. Node cold import (in a new process, timed around the import; median of ${PROCESSES} processes; ratio = ours / peer)`,
  smoke: SMOKE,
  entries: cases.filter((c) => !c.peer).map((c) => ({
    measure: `\`import("${c.name}")\``,
    ours: ms(median(c.runs)),
    peer: peer ? `${peer.name}: \`require\` of ClientBuilder, HcClient, BasicCredentials` : "skipped",
    peerFigure: peer ? ms(median(peer.runs)) : "skipped",
    ratio: peer ? times(median(c.runs) / median(peer.runs)) : "n/a",
    target: "",
    met: null,
  })),
  raw: Object.fromEntries(cases.map((c) => [c.name, c.runs.map((x) => round(x, 2))])),
  numbers: Object.fromEntries(cases.map((c) => [c.name, round(median(c.runs), 2)])),
  notes: peer ? [] : ["cold import: the Huawei Node core skipped (not installed in bench/)"],
});
