// signRequest of two builds of the package in one Node process: CPU time per call on the
// 20-item batch-update-tsvi PATCH, median of 9 rounds of 10,000 calls, for the main and the lean
// entry. For comparing a change with its base (build the base with `scripts/build-pkg.sh DIR`):
//   node bench/ab-sign.mjs BASE_PKG_DIR NEW_PKG_DIR
// The builds take turns, and which goes first alternates from round to round: in one process
// the same build measures up to 4 % apart depending on whether it was loaded and run first.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const [baseDir, newDir] = process.argv.slice(2);
if (!baseDir || !newDir) {
  console.error("usage: node bench/ab-sign.mjs BASE_PKG_DIR NEW_PKG_DIR");
  process.exit(2);
}
const require = createRequire(import.meta.url);
const ROUNDS = 9;
const CALLS = 10_000;

const vectors = JSON.parse(readFileSync(new URL("../tests/vectors/signing.json", import.meta.url), "utf8"));
const { input, expected } = vectors.cases.find((c) => c.name === "batch-update-tsvi-20-items");
const signerInput = {
  method: input.method,
  url: input.url,
  headers: Object.fromEntries(input.headers),
  body: input.body,
  ak: input.ak,
  sk: input.sk,
  sdkDate: input.sdkDate ?? input.sdk_date,
};

for (const [entry, sub] of [["main", "node"], ["lean", "client/node"]]) {
  const builds = [
    ["base", require(path.resolve(baseDir, sub, "workspace_tsvi.cjs"))],
    ["new", require(path.resolve(newDir, sub, "workspace_tsvi.cjs"))],
  ];
  for (const [name, { signRequest }] of builds) {
    const authorization = signRequest(signerInput).headers.Authorization;
    if (authorization !== expected.authorization) {
      throw new Error(`${entry} ${name}: not the vector's Authorization`);
    }
  }
  const perCall = { base: [], new: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, { signRequest }] of round % 2 ? [...builds].reverse() : builds) {
      const start = process.cpuUsage();
      for (let i = 0; i < CALLS; i++) signRequest(signerInput);
      const used = process.cpuUsage(start);
      perCall[name].push((used.user + used.system) / CALLS);
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
  const [b, n] = [median(perCall.base), median(perCall.new)];
  console.log(`${entry}: base ${b.toFixed(2)} µs, new ${n.toFixed(2)} µs CPU per call (${(((n - b) / b) * 100).toFixed(1)} %)`);
}
