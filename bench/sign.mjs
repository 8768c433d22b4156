// signRequest against Huawei's official Node signer (AKSKSigner from
// @huaweicloud/huaweicloud-sdk-core), on the same 20-item batch-update-tsvi PATCH, in the same
// Node process: RUNS runs of CALLS calls each, alternating, and the median of each. The ratio is
// of wall-clock medians; the process's CPU time per run is printed too, because on a shared
// machine the wall clock also counts the time other processes held the core.
// Run by `make bench` (which installs bench/node_modules first). Not a test: nothing asserts a time.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";

const RUNS = Number(process.env.RUNS ?? 7);
const CALLS = Number(process.env.CALLS ?? 10_000);
const entry = process.env.ENTRY ?? "workspace-tsvi";
const { signRequest } = await import(entry);

const require = createRequire(import.meta.url);
const { AKSKSigner } = require("@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner");
const { BasicCredentials } = require("@huaweicloud/huaweicloud-sdk-core");
const sdkVersion = require("@huaweicloud/huaweicloud-sdk-core/package.json").version;

const vectors = JSON.parse(readFileSync(new URL("../tests/vectors/signing.json", import.meta.url), "utf8"));
const { input, expected } = vectors.cases.find((c) => c.name === "batch-update-tsvi-20-items");
const headers = Object.fromEntries(input.headers);

const ours = () =>
  signRequest({ method: input.method, url: input.url, headers, body: input.body, ak: input.ak, sk: input.sk, sdkDate: input.sdk_date });

// What Huawei's HcClient hands its signer: the URL with its path, the headers (the date among
// them, as a fixed date is given), and the body as the object it stringifies.
const credentials = new BasicCredentials().withAk(input.ak).withSk(input.sk);
const data = JSON.parse(input.body);
const theirs = () =>
  AKSKSigner.sign(
    { method: input.method, endpoint: input.url, headers: { ...headers, "X-Sdk-Date": input.sdk_date }, queryParams: {}, data },
    credentials,
  );

// Both must sign the same request alike, or the comparison means nothing.
if (ours().headers.Authorization !== expected.authorization) throw new Error("signRequest does not match the vector");
if (theirs().Authorization !== expected.authorization) throw new Error("AKSKSigner does not match the vector");

function run(fn) {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < CALLS; i++) fn();
  const cpu = process.cpuUsage(cpuStart);
  return { wall: performance.now() - start, cpu: (cpu.user + cpu.system) / 1000 };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

// Warm both up (JIT, the wasm's first instantiation), then alternate.
run(ours);
run(theirs);
const runs = { ours: [], theirs: [] };
for (let r = 0; r < RUNS; r++) {
  runs.ours.push(run(ours));
  runs.theirs.push(run(theirs));
}
const [o, t] = [median(runs.ours.map((x) => x.wall)), median(runs.theirs.map((x) => x.wall))];
const [oc, tc] = [median(runs.ours.map((x) => x.cpu)), median(runs.theirs.map((x) => x.cpu))];
const us = (ms) => ((ms * 1000) / CALLS).toFixed(2);
console.log(
  `signRequest (${entry}) vs AKSKSigner ${sdkVersion}, 20-item PATCH, median of ${RUNS} x ${CALLS.toLocaleString("en")} calls: ` +
    `${(t / o).toFixed(2)} x (ours ${o.toFixed(0)} ms = ${us(o)} us/call, theirs ${t.toFixed(0)} ms = ${us(t)} us/call; ` +
    `CPU time ${(tc / oc).toFixed(2)} x, ${us(oc)} and ${us(tc)} us/call)`,
);
