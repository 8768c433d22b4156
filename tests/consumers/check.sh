#!/usr/bin/env bash
# Packs pkg/ as npm would publish it, installs the tarball into a scratch project with no
# network, and uses it the ways users do: Node ESM, Node CommonJS, and TypeScript.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

tarball=$(cd "$scratch" && npm pack --silent "$root/pkg")
cd "$scratch"
echo '{"name":"consumer","private":true}' > package.json
npm install --offline --no-audit --no-fund --silent "./$tarball"

for f in web/workspace_tsvi_bg.wasm web/index.js node/workspace_tsvi.cjs node/index.mjs \
  client/web/workspace_tsvi_bg.wasm client/web/index.js client/node/workspace_tsvi.cjs client/node/index.mjs package.json README.md; do
  [ -f "node_modules/workspace-tsvi/$f" ] || { echo "packed package lacks $f" >&2; exit 1; }
done

node --input-type=module -e '
import { validateBatchRequest, Client } from "workspace-tsvi";
const r = validateBatchRequest({ items: [{ id: "a", enable: true }] });
if (!r.ok || typeof Client !== "function") throw new Error("ESM import failed");
'
node -e '
const { planBatches } = require("workspace-tsvi");
if (planBatches(["a", "b", "a"]).duplicates.length !== 1) throw new Error("CommonJS require failed");
'
# The lean entry, workspace-tsvi/client: no rollout engine, ESM and CommonJS.
node --input-type=module -e '
import { validateBatchRequest, Client } from "workspace-tsvi/client";
import * as lean from "workspace-tsvi/client";
const r = validateBatchRequest({ items: [{ id: "a", enable: true }] });
if (!r.ok || typeof Client !== "function") throw new Error("lean ESM import failed");
if ("reportToCsv" in lean || Client.prototype.planRollout) throw new Error("the lean entry has the rollout engine");
'
node -e '
const { planBatches, Client } = require("workspace-tsvi/client");
if (planBatches(["a", "b", "a"]).duplicates.length !== 1) throw new Error("lean CommonJS require failed");
if (Client.prototype.runRollout) throw new Error("the lean CommonJS build has the rollout engine");
'
# The TypeScript declarations of both entries, as strict projects see them: target ES2022 with its default
# libs (no esnext), library checks on, NodeNext and Bundler resolution, with and without
# @types/node (taken from the repository's dev dependencies).
cp "$root/tests/consumers/types.ts" "$root/tests/consumers/client-types.ts" .
checks=0
for resolution in NodeNext Bundler; do
  module=$([ "$resolution" = Bundler ] && echo ESNext || echo NodeNext)
  for types in '[]' '["node"]'; do
    cat > tsconfig.json <<EOF
{ "compilerOptions": { "strict": true, "target": "ES2022", "module": "$module", "moduleResolution": "$resolution",
  "skipLibCheck": false, "noEmit": true, "typeRoots": ["$root/node_modules/@types"], "types": $types }, "files": ["types.ts", "client-types.ts"] }
EOF
    "$root/node_modules/.bin/tsc" -p tsconfig.json
    checks=$((checks + 1))
  done
done

echo "consumers: $((4 + checks)) passed, 0 failed"

# The CLI, the package's "bin", as npx finds it in the installed tarball: --help, and one real
# call against a gateway started here (the debug build `make test-node` builds).
npx --no-install workspace-tsvi --help > /dev/null
"${TSVI_GATEWAY_BIN:-$root/target/debug/tsvi-gateway}" --listen 127.0.0.1:0 --project-id 0123456789abcdef0123456789abcdef \
  --token consumer-token --servers 5 --groups 1 > gateway.log 2>&1 &
gateway=$!
trap 'kill "$gateway" 2>/dev/null; rm -rf "$scratch"' EXIT
for _ in $(seq 100); do url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' gateway.log | head -1) && [ -n "$url" ] && break; sleep 0.1; done
HUAWEICLOUD_SDK_TOKEN=consumer-token HUAWEICLOUD_SDK_PROJECT_ID=0123456789abcdef0123456789abcdef \
  npx --no-install workspace-tsvi groups list --endpoint "$url" --json |
  node -e 'const g = JSON.parse(require("fs").readFileSync(0, "utf8")); if (g.length !== 1 || typeof g[0].ip_virtual.enable !== "boolean") throw new Error("CLI groups list failed")'
echo "consumers: the CLI (npx workspace-tsvi): 2 passed, 0 failed"
