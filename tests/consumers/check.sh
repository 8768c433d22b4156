#!/usr/bin/env bash
# Packs pkg/ as npm would publish it, installs the tarball into a scratch project with no
# network, and uses it the ways users do, each making a real call against the gateway: Node ESM
# and CommonJS (both entries), strict TypeScript in four setups, Vite, webpack 5 and esbuild
# builds with no configuration in headless Chromium, and the README's browser example as written.
# Needs pkg/ (make pkg) and the debug gateway (make gateway). Each check that passes adds to
# `passed`; a failing one stops the script (set -e). Add checks before the summary line.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/consumers
scratch=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$scratch"' EXIT
passed=0
pass() { passed=$((passed + 1)); echo "ok: $*"; }

tarball=$(cd "$scratch" && npm pack --silent "$root/pkg")
cd "$scratch"
echo '{"name":"consumer","private":true}' > package.json
npm install --offline --no-audit --no-fund --silent "./$tarball"
pkgdir=$scratch/node_modules/workspace-tsvi

for f in web/wasm.js web/index.js web/errors.js node/workspace_tsvi.cjs node/index.mjs node/errors.cjs \
  client/web/wasm.js client/web/index.js client/node/workspace_tsvi.cjs client/node/index.mjs package.json README.md; do
  [ -f "$pkgdir/$f" ] || { echo "packed package lacks $f" >&2; exit 1; }
done
# One copy of each module: the Node build reads the web build's.
if find "$pkgdir" -name '*.wasm' | grep -q .; then echo "the tarball still ships a separate .wasm" >&2; exit 1; fi
pass "tarball: $(du -sb "$tarball" | cut -f1) B packed, $(du -sb --apparent-size "$pkgdir" | cut -f1) B installed"

# start_gateway VAR ARGS...: the debug gateway on 127.0.0.1, a free port; its URL into VAR.
start_gateway() {
  local var=$1 log=$scratch/gateway-$1.log
  shift
  "$root/target/debug/tsvi-gateway" --listen 127.0.0.1:0 "$@" > "$log" 2>&1 &
  pids+=($!)
  local i url=
  for i in $(seq 200); do
    url=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' "$log")
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "the gateway did not start:" >&2; cat "$log" >&2; exit 1; }
  printf -v "$var" %s "$url"
}
PROJECT=0123456789abcdef0123456789abcdef
AK=CONSUMERAK SK=consumer-sk
start_gateway SIM --project-id "$PROJECT" --ak "$AK" --sk "$SK" --token consumer-token --servers 30 --groups 2
export SIM PROJECT AK SK

# Node, ESM and CommonJS, main and lean entries: a signed call, and the error classes.
for entry in workspace-tsvi workspace-tsvi/client; do
  ENTRY=$entry node --input-type=module -e '
const { Client, ApiError, ValidationError, validateBatchRequest } = await import(process.env.ENTRY);
if (!validateBatchRequest({ items: [{ id: "a", enable: true }] }).ok) throw new Error("validate");
const client = new Client({ endpoint: process.env.SIM, projectId: process.env.PROJECT, auth: { ak: process.env.AK, sk: process.env.SK } });
const { items } = await client.listServers({ limit: 5 });
if (items.length !== 5 || typeof items[0].id !== "string") throw new Error("listServers");
const bad = await new Client({ endpoint: process.env.SIM, projectId: process.env.PROJECT, auth: { token: "wrong" } }).listServers().catch((e) => e);
if (!(bad instanceof ApiError) || bad.status !== 401 || bad.code !== "auth") throw new Error(`ApiError: ${bad}`);
try { new Client({}); throw new Error("no ValidationError"); } catch (e) { if (!(e instanceof ValidationError)) throw e; }
'
  pass "Node ESM import of $entry: listServers, ApiError and ValidationError by instanceof"
  ENTRY=$entry node -e '
const { Client, ApiError, planBatches } = require(process.env.ENTRY);
if (planBatches(["a", "b", "a"]).duplicates.length !== 1) throw new Error("planBatches");
const client = new Client({ endpoint: process.env.SIM, projectId: process.env.PROJECT, auth: { ak: process.env.AK, sk: process.env.SK } });
client.showServer("no-such-server").then(
  () => { throw new Error("showServer of a missing server resolved"); },
  (e) => { if (!(e instanceof ApiError) || e.status !== 404) throw e; },
);
'
  pass "Node CommonJS require of $entry: showServer, ApiError by instanceof"
done
node --input-type=module -e '
import * as lean from "workspace-tsvi/client";
if ("reportToCsv" in lean || lean.Client.prototype.planRollout) throw new Error("the lean entry has the rollout engine");
'
pass "the lean entry has no rollout engine"

# The TypeScript declarations of both entries, as strict projects see them: target ES2022 with its
# default libs (no esnext), library checks on, NodeNext and Bundler resolution, with and without
# @types/node (taken from the repository's dev dependencies).
cp "$here/types.ts" "$here/client-types.ts" .
for resolution in NodeNext Bundler; do
  module=$([ "$resolution" = Bundler ] && echo ESNext || echo NodeNext)
  for types in '[]' '["node"]'; do
    cat > tsconfig.json <<EOF
{ "compilerOptions": { "strict": true, "target": "ES2022", "module": "$module", "moduleResolution": "$resolution",
  "skipLibCheck": false, "noEmit": true, "typeRoots": ["$root/node_modules/@types"], "types": $types }, "files": ["types.ts", "client-types.ts"] }
EOF
    "$root/node_modules/.bin/tsc" -p tsconfig.json
    pass "TypeScript strict ES2022, $resolution, types $types"
  done
done

# Three bundlers, no configuration, the same app (app/main.js); the pages are served by a
# gateway in proxy mode (it signs for the page) under its CSP, with the installed package as /pkg/.
bin=$root/node_modules/.bin
mkdir -p vite webpack/src esbuild
cp "$here/app/index.html" "$here/app/main.js" vite/
(cd vite && "$bin/vite" build --logLevel warn)
www=$scratch/vite/dist
cp "$here/app/main.js" webpack/src/index.js
(cd webpack && node -e '
require(process.argv[1])({ mode: "production" }, (error, stats) => {
  if (error || stats.hasErrors()) { console.error(error ?? stats.toString("errors-only")); process.exit(1); }
});' "$root/node_modules/webpack")
mkdir -p "$www/webpack" && cp webpack/dist/main.js "$www/webpack/"
sed 's#<script type="module" src="./main.js">#<script src="main.js">#' "$here/app/index.html" > "$www/webpack/index.html"
cp "$here/app/main.js" esbuild/
(cd esbuild && "$bin/esbuild" main.js --bundle --format=esm --outfile="$www/esbuild/main.js" --log-level=warning)
cp "$here/app/index.html" "$www/esbuild/"
for bundle in "vite $www/assets/*.js" "webpack $www/webpack/main.js" "esbuild $www/esbuild/main.js"; do
  set -- $bundle
  echo "consumers: the $1 bundle is $(cat "$2" | gzip -9c | wc -c) B gzip"
done

# The README's browser example, its two files exactly as the README shows them.
mkdir -p "$www/readme"
node "$here/readme-example.mjs" "$root/README.md" "$www/readme"

HUAWEICLOUD_SDK_AK=$AK HUAWEICLOUD_SDK_SK=$SK HUAWEICLOUD_SDK_PROJECT_ID=$PROJECT \
  start_gateway PROXY --upstream "$SIM" --www "$www" --pkg "$pkgdir"
(cd "$root" && node tests/consumers/pages.mjs "$PROXY" vite=/ webpack=/webpack/ esbuild=/esbuild/ readme=/readme/)
passed=$((passed + 4))

# The CLI, the package's "bin", as npx finds it in the installed tarball: --help, and one real
# call against the simulator.
npx --no-install workspace-tsvi --help > /dev/null
pass "npx workspace-tsvi --help"
HUAWEICLOUD_SDK_AK=$AK HUAWEICLOUD_SDK_SK=$SK HUAWEICLOUD_SDK_PROJECT_ID=$PROJECT \
  npx --no-install workspace-tsvi groups list --endpoint "$SIM" --json |
  node -e 'const g = JSON.parse(require("fs").readFileSync(0, "utf8")); if (g.length !== 2 || g.some((x) => typeof x.ip_virtual?.enable !== "boolean")) throw new Error("CLI groups list failed")'
pass "npx workspace-tsvi groups list against the simulator"

echo "consumers: $passed passed, 0 failed"
