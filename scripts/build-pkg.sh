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

rm -rf "$out"

# bind_and_opt WASM DIR: wasm-bindgen for the web and for Node into DIR, then wasm-opt.
bind_and_opt() {
  local wasm=$1 dir=$2
  wasm-bindgen --target web --out-dir "$dir/web" "$wasm"
  wasm-bindgen --target nodejs --out-dir "$dir/node" "$wasm"
  # The nodejs output is CommonJS; the package is "type": "module", so it must be .cjs.
  mv "$dir/node/$crate.js" "$dir/node/$crate.cjs"
  mv "$dir/node/$crate.d.ts" "$dir/node/$crate.d.cts"
  # wasm-bindgen declares `[Symbol.dispose](): void` on every class, which only compiles with
  # lib esnext (0.2.130 has no option to leave it out); the method stays in the JS, and a
  # strict ES2022 project compiles.
  sed -i '/^ *\[Symbol\.dispose\](): void;$/d' "$dir/web/$crate.d.ts" "$dir/node/$crate.d.cts"
  local target
  for target in web node; do
    "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --strip-debug --strip-producers \
      "$dir/$target/${crate}_bg.wasm" -o "$dir/$target/${crate}_bg.wasm"
    rm -f "$dir/$target/${crate}_bg.wasm.d.ts"
  done
}
wasm_opt=node_modules/.bin/wasm-opt

# The main entry (everything, the rollout engine included).
cargo build --release --target wasm32-unknown-unknown -p workspace-tsvi
bind_and_opt "$wasm" "$out"

# The lean entry, workspace-tsvi/client: the same crate without the `rollout` feature. Its own
# target directory, so neither build invalidates the other's final artifact.
cargo build --release --target wasm32-unknown-unknown -p workspace-tsvi --no-default-features --target-dir target/lean
bind_and_opt "target/lean/wasm32-unknown-unknown/release/$crate.wasm" "$out/client"

# The package files, the CLI (bin/, the package's "bin") included.
cp -R pkg-template/. "$out/"
chmod +x "$out/bin/workspace-tsvi.mjs"
version=$(sed -n '0,/^version = "\(.*\)"/s//\1/p' Cargo.toml)
sed -i "s/\"version\": \"0.0.0-template\"/\"version\": \"$version\"/" "$out/package.json"

# What a browser downloads for each import: the entry's JS glue plus its .wasm, gzip -9.
figures() {
  local name=$1 dir=$2
  local raw gz glue gluegz
  raw=$(wc -c < "$dir/web/${crate}_bg.wasm")
  gz=$(gzip -9c "$dir/web/${crate}_bg.wasm" | wc -c)
  glue=$(cat "$dir/web/$crate.js" "$dir/web/index.js" | wc -c)
  gluegz=$(cat "$dir/web/$crate.js" "$dir/web/index.js" | gzip -9c | wc -c)
  echo "pkg: $name: web wasm $raw B raw, $gz B gzip; JS glue $glue B raw, $gluegz B gzip; total $((gz + gluegz)) B gzip"
}
figures '"workspace-tsvi"' "$out"
figures '"workspace-tsvi/client"' "$out/client"
