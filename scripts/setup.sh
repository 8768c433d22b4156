#!/usr/bin/env bash
# Installs everything the build and the tests need, on a fresh machine or an old one.
# Idempotent: what is already there at the right version is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v gzip >/dev/null || missing+=(gzip)
  if [ ${#missing[@]} -gt 0 ]; then
    say "apt: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

say "rustfmt and clippy (make lint)"
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy

say "rust target wasm32-unknown-unknown"
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target add wasm32-unknown-unknown

want=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$want" != "$have" ]; then
  say "wasm-bindgen-cli $want (found '${have:-none}'; builds from source, about 3 minutes)"
  cargo install wasm-bindgen-cli --version "$want" --force
fi

say "npm packages (binaryen for wasm-opt, playwright-core, typescript, and vite, webpack and esbuild for the consumer tests)"
npm ci --no-audit --no-fund --loglevel=error

say "python venv .venv with Huawei's official SDK"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r tests/compat/requirements.txt
echo "setup done"
