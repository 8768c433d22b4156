// Row 2, signing: signRequest (both entries) on the 20-item batch-update-tsvi PATCH against
// Huawei's official Node signer (AKSKSigner from @huaweicloud/huaweicloud-sdk-core), a 20-line
// node:crypto signer (the floor for signing in JS), all in this Node process, alternating, and
// Huawei's official Python Signer in the repo's .venv. RUNS runs of CALLS calls each; the median.
// Every signer must first produce the vector's Authorization, or the comparison means nothing.
// Run by `make bench` and `make bench-sign` (which install bench/node_modules first).
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { RUNS, SMOKE, benchPeer, emit, median, pythonPeer, round, runPython, times, verdict } from "./lib.mjs";

const runs = SMOKE ? 1 : Math.max(RUNS, 7);
const CALLS = Number(process.env.CALLS ?? (SMOKE ? 200 : 10_000));
const PY_CALLS = SMOKE ? 100 : 5_000;

const vectors = JSON.parse(readFileSync(new URL("../tests/vectors/signing.json", import.meta.url), "utf8"));
const { input, expected } = vectors.cases.find((c) => c.name === "batch-update-tsvi-20-items");
const headers = Object.fromEntries(input.headers);
const signerInput = { method: input.method, url: input.url, headers, body: input.body, ak: input.ak, sk: input.sk, sdkDate: input.sdkDate ?? input.sdk_date };

const signers = [];
for (const entry of ["workspace-tsvi", "workspace-tsvi/client"]) {
  const { signRequest } = await import(entry);
  signers.push({ name: `signRequest (${entry})`, sign: () => signRequest(signerInput).headers.Authorization });
}

// The floor: SDK-HMAC-SHA256 with node:crypto and nothing else (enough for this request: no
// query, a path of unreserved characters).
const hex256 = (text) => createHash("sha256").update(text).digest("hex");
function cryptoSign({ method, url, headers, body, ak, sk, sdkDate }) {
  const { host, pathname } = new URL(url);
  const all = Object.entries({ ...headers, Host: host, "X-Sdk-Date": sdkDate }).map(([k, v]) => [k.toLowerCase(), v.trim()]);
  all.sort(([a], [b]) => (a < b ? -1 : 1));
  const signed = all.map(([k]) => k).join(";");
  const uri = pathname.split("/").map(encodeURIComponent).join("/") + (pathname.endsWith("/") ? "" : "/");
  const canonical = [method, uri, "", ...all.map(([k, v]) => `${k}:${v}`), "", signed, hex256(body)].join("\n");
  const signature = createHmac("sha256", sk).update(`SDK-HMAC-SHA256\n${sdkDate}\n${hex256(canonical)}`).digest("hex");
  return `SDK-HMAC-SHA256 Access=${ak}, SignedHeaders=${signed}, Signature=${signature}`;
}
signers.push({ name: "node:crypto, 20 lines (floor)", sign: () => cryptoSign(signerInput) });

let akskVersion = null;
if (benchPeer("@huaweicloud/huaweicloud-sdk-core") && benchPeer("uuid")) {
  const require = createRequire(benchPeer("@huaweicloud/huaweicloud-sdk-core"));
  const { AKSKSigner } = require("./auth/AKSKSigner");
  const { BasicCredentials } = require("./huaweicloud-sdk-core.js");
  akskVersion = require("./package.json").version;
  // What Huawei's HcClient hands its signer: the URL with its path, the headers (the date among
  // them, as a fixed date is given), and the body as the object it stringifies.
  const credentials = new BasicCredentials().withAk(input.ak).withSk(input.sk);
  const data = JSON.parse(input.body);
  const request = () => ({ method: input.method, endpoint: input.url, headers: { ...headers, "X-Sdk-Date": input.sdk_date }, queryParams: {}, data });
  signers.push({ name: `AKSKSigner (Huawei Node core ${akskVersion})`, sign: () => AKSKSigner.sign(request(), credentials).Authorization, peer: true });
}
for (const s of signers) {
  if (s.sign() !== expected.authorization) throw new Error(`${s.name} does not match the vector`);
}

function run(fn) {
  const start = performance.now();
  for (let i = 0; i < CALLS; i++) fn();
  return performance.now() - start;
}
// Warm every signer up (JIT, the wasm's first instantiation), then alternate.
for (const s of signers) {
  run(s.sign);
  s.runs = [];
}
for (let r = 0; r < runs; r++) for (const s of signers) s.runs.push(run(s.sign));
const perSecond = (ms, calls) => (calls * 1000) / ms;
for (const s of signers) s.perSecond = perSecond(median(s.runs), CALLS);

const notes = [];
let python = null;
if (pythonPeer()) {
  const out = runPython("sign.py", { runs, calls: PY_CALLS });
  python = { name: `Signer (Huawei Python core ${out.version})`, runs: out.runs_ms, perSecond: perSecond(median(out.runs_ms), PY_CALLS) };
} else {
  notes.push("signing: the Python peer skipped (no .venv with huaweicloudsdkcore)");
}
const aksk = signers.find((s) => s.peer);
if (!aksk) notes.push("signing: AKSKSigner skipped (bench/node_modules not installed; `make bench` installs it)");

const fmt = (x) => `${Math.round(x).toLocaleString("en-US")} signs/s`;
const [main, lean, floor] = signers;
const peerFigure = [aksk && `AKSKSigner ${fmt(aksk.perSecond)}`, python && `Python Signer ${fmt(python.perSecond)}`, `node:crypto ${fmt(floor.perSecond)}`].filter(Boolean).join("; ");
const line = (s) => ({
  measure: `${s.name}, 20-item PATCH`,
  ours: fmt(s.perSecond),
  peer: "AKSKSigner (Node); Signer (Python); node:crypto floor",
  peerFigure,
  ratio: [aksk && times(s.perSecond / aksk.perSecond), python && times(s.perSecond / python.perSecond), times(s.perSecond / floor.perSecond)].filter(Boolean).join("; "),
  target: "≥ 1.5 × AKSKSigner",
  met: verdict(aksk ? s.perSecond >= 1.5 * aksk.perSecond : null),
});

emit({
  id: "sign",
  title: `2. Signing (median of ${runs} runs × ${CALLS.toLocaleString("en-US")} calls in one Node process, alternating; Python ${runs} × ${PY_CALLS.toLocaleString("en-US")}; ratio = ours / peer)`,
  smoke: SMOKE,
  entries: [line(main), line(lean)],
  raw: Object.fromEntries([...signers, ...(python ? [python] : [])].map((s) => [s.name, { runsMs: s.runs.map((x) => round(x, 1)), calls: s === python ? PY_CALLS : CALLS, perSecond: Math.round(s.perSecond) }])),
  numbers: { mainVsAksk: aksk && round(main.perSecond / aksk.perSecond, 2), leanVsAksk: aksk && round(lean.perSecond / aksk.perSecond, 2) },
  notes,
});
