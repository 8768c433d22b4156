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

# bind_and_opt WASM DIR: wasm-bindgen for the web and for Node into DIR, wasm-opt, then one copy
# of the module for both: DIR/web/wasm.js, the .wasm gzipped and base64-encoded as a JS string,
# which every bundler takes as plain JS with no configuration (no asset to find, no 404) and
# which the Node build reads too. The error classes (src/bindings/errors.js, a wasm-bindgen
# snippet) become web/errors.js and node/errors.cjs, and both builds export them.
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

  "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --strip-debug --strip-producers \
    "$dir/web/${crate}_bg.wasm" -o "$dir/web/${crate}_bg.wasm"
  printf 'export default "%s";\n' "$(gzip -9nc "$dir/web/${crate}_bg.wasm" | base64 -w0)" > "$dir/web/wasm.js"
  rm -f "$dir"/{web,node}/"${crate}"_bg.wasm{,.d.ts}

  # The error classes: one file, the last line of which lists its exports.
  local snippet classes
  snippet=$(echo "$dir"/web/snippets/*/src/bindings/errors.js)
  classes=$(sed -n 's/^export { \(.*\), newError };$/\1/p' "$snippet")
  [ -n "$classes" ] || { echo "build-pkg: errors.js must end with 'export { …, newError };'" >&2; exit 1; }
  cp "$snippet" "$dir/web/errors.js"
  sed 's/^export { \(.*\) };$/module.exports = { \1 };/' "$snippet" > "$dir/node/errors.cjs"
  rm -r "$dir/web/snippets" "$dir/node/snippets"
  edit "$dir/web/$crate.js" "s#'./snippets/[^']*/errors\.js'#'./errors.js'#"
  edit "$dir/node/$crate.cjs" 's#`./snippets/[^`]*/errors\.js`#`./errors.cjs`#'
  echo "export { $classes } from './errors.js';" >> "$dir/web/$crate.js"
  local class
  for class in ${classes//,/}; do echo "exports.$class = require('./errors.cjs').$class;" >> "$dir/node/$crate.cjs"; done

  # A Client method called on another receiver (`Client.prototype.showServer.call({})`) or after
  # `free()` (a second `free()` too) passed a null pointer to Rust, whose refusal unwinds through
  # wasm and leaks its stack: after about 8,000 such calls every export trapped. Each method now
  # checks its receiver first, and `free()` of a freed client does nothing.
  local file
  for file in "$dir/web/$crate.js" "$dir/node/$crate.cjs"; do
    edit "$file" 's/wasm\.client_\([A-Za-z]*\)(this\.__wbg_ptr\([,)]\)/wasm.client_\1(liveClient(this)\2/'
    edit "$file" 's/^\( *\)wasm\.__wbg_client_free(ptr, 0);/\1if (ptr) wasm.__wbg_client_free(ptr, 0); \/\/ freed already: nothing to do/'
    grep -q 'wasm\.client_[A-Za-z]*(this\.__wbg_ptr' "$file" && { echo "build-pkg: an unchecked receiver is left in $file" >&2; exit 1; }
    cat >> "$file" <<'JS'
function liveClient(client) {
    if (!(client instanceof Client) || !client.__wbg_ptr) {
        throw new TypeError('workspace-tsvi: Client methods must be called on a Client that has not been freed');
    }
    return client.__wbg_ptr;
}
JS
  done

  # The web glue's default module URL would make bundlers look for a .wasm that is not shipped:
  # the entries always pass the bytes.
  edit "$dir/web/$crate.js" "s#module_or_path = new URL('${crate}_bg.wasm', import.meta.url);#throw new Error('workspace-tsvi: init needs the module (index.js passes it)');#"
  # Node: the same bytes, from web/wasm.js (a string literal between the first and last quote).
  edit "$dir/node/$crate.cjs" "s#^const wasmBytes = require('fs').readFileSync(wasmPath);#const wasmText = require('fs').readFileSync(\`\${__dirname}/../web/wasm.js\`, 'latin1');\nconst wasmBytes = require('zlib').gunzipSync(Buffer.from(wasmText.slice(wasmText.indexOf('\"') + 1, wasmText.lastIndexOf('\"')), 'base64'));#"
  edit "$dir/node/$crate.cjs" '/^const wasmPath = /d'
}

# edit FILE SED: sed -i that fails the build when it changed nothing (wasm-bindgen's output moved).
edit() {
  local before
  before=$(md5sum < "$1")
  sed -i "$2" "$1"
  [ "$(md5sum < "$1")" != "$before" ] || { echo "build-pkg: '$2' changed nothing in $1" >&2; exit 1; }
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

# What a browser downloads for each import (scripts/entry-size.mjs says how it is measured).
node scripts/entry-size.mjs '"workspace-tsvi"' "$out"
node scripts/entry-size.mjs '"workspace-tsvi/client"' "$out/client"
