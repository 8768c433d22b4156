#!/usr/bin/env bash
# Builds pkg/: the release wasm, wasm-bindgen for the web and for Node, wasm-opt, and the
# package files from pkg-template/. Usage: scripts/build-pkg.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-pkg}
crate=workspace_tsvi
wasm=target/wasm32-unknown-unknown/release/$crate.wasm

want=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')
if [ "$want" != "$have" ]; then
  echo "wasm-bindgen-cli $want is needed (found '${have:-none}'): cargo install wasm-bindgen-cli --version $want" >&2
  exit 1
fi

cargo build --release --target wasm32-unknown-unknown -p workspace-tsvi
rm -rf "$out"
wasm-bindgen --target web --out-dir "$out/web" "$wasm"
wasm-bindgen --target nodejs --out-dir "$out/node" "$wasm"

# The nodejs output is CommonJS; the package is "type": "module", so it must be .cjs.
mv "$out/node/$crate.js" "$out/node/$crate.cjs"
mv "$out/node/$crate.d.ts" "$out/node/$crate.d.cts"
# wasm-bindgen declares `[Symbol.dispose](): void` on every class, which only compiles with
# lib esnext (0.2.130 has no option to leave it out); the method stays in the JS, and a
# strict ES2022 project compiles.
sed -i '/^ *\[Symbol\.dispose\](): void;$/d' "$out/web/$crate.d.ts" "$out/node/$crate.d.cts"

wasm_opt=node_modules/.bin/wasm-opt
for target in web node; do
  "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --strip-debug --strip-producers \
    "$out/$target/${crate}_bg.wasm" -o "$out/$target/${crate}_bg.wasm"
  rm -f "$out/$target/${crate}_bg.wasm.d.ts"
done

cp -R pkg-template/. "$out/"
version=$(sed -n '0,/^version = "\(.*\)"/s//\1/p' Cargo.toml)
sed -i "s/\"version\": \"0.0.0-template\"/\"version\": \"$version\"/" "$out/package.json"

raw=$(wc -c < "$out/web/${crate}_bg.wasm")
gz=$(gzip -9c "$out/web/${crate}_bg.wasm" | wc -c)
glue=$(cat "$out/web/$crate.js" "$out/web/index.js" | wc -c)
gluegz=$(cat "$out/web/$crate.js" "$out/web/index.js" | gzip -9c | wc -c)
echo "pkg: web wasm $raw B raw, $gz B gzip; JS glue $glue B raw, $gluegz B gzip"
