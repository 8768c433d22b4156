# The project's front door. `make setup` once on a new machine, then:
#   make pkg    build the npm package into pkg/ (web + Node builds)
#   make test   every test: format and lint, Rust, the official SDK (vectors and gateway), Node, consumers
#   make demo   the gateway with the admin page on the simulator, at http://127.0.0.1:8780
#   make bench  every claim against its peer (official SDKs, AWS, node:crypto) into bench/results.md (not in CI)
#   make fuzz   the property tests at 100,000 cases per target, and the JS fuzz of every export
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python

.PHONY: help setup pkg gateway lint test test-rust test-vectors test-compat test-node test-browser test-consumers test-bench-smoke demo bench bench-peers bench-sign bench-load fuzz clean

help:
	@sed -n 's/^#   //p' Makefile

setup:
	./scripts/setup.sh

pkg:
	./scripts/build-pkg.sh pkg
	@mkdir -p node_modules && ln -sfn ../pkg node_modules/workspace-tsvi

test: lint test-rust test-vectors test-compat pkg test-node test-browser test-consumers test-bench-smoke

# The debug binary the Python and Node tests start.
gateway:
	cargo build -p workspace-tsvi-gateway

# One format (rustfmt.toml) and no clippy warning, for both crates natively and for the core on
# wasm32 with and without the rollout engine (the main and the lean entry).
lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p workspace-tsvi --target wasm32-unknown-unknown -- -D warnings
	cargo clippy -p workspace-tsvi --target wasm32-unknown-unknown --no-default-features -- -D warnings

test-rust:
	cargo test --workspace

# The committed vectors must be exactly what Huawei's own signer produces today.
test-vectors:
	$(PY) tests/compat/gen_sign_vectors.py > target/signing.fresh.json
	diff -u tests/vectors/signing.json target/signing.fresh.json
	@echo "signing vectors: regenerated with the official SDK, identical"

# Huawei's official SDK drives the gateway: real signatures, real wire format.
test-compat: gateway
	$(PY) -m pytest -q tests/compat

test-node: gateway
	node --test tests/node/

# Headless Chromium (Debian's) through playwright-core, against the gateway.
test-browser: gateway
	node --test tests/browser/

# The packed tarball in throwaway projects: Node, TypeScript, Vite, webpack, esbuild in Chromium.
test-consumers: gateway
	tests/consumers/check.sh

# The same scripts as `make bench` at tiny sizes, no target checked (a row whose peers are not
# installed in bench/ skips them with a line), so that they keep working.
test-bench-smoke: gateway
	@[ -d node_modules/workspace-tsvi ] || $(MAKE) pkg
	BENCH_SMOKE=1 node bench/run.mjs

demo: pkg
	cargo run --release -p workspace-tsvi-gateway -- --listen 127.0.0.1:8780

# Every row of issue 11 (size, signing, submission, makespan, listing, the page, cold import, the
# gateway's ListServers), each beside its peer in the same run; prints the table and writes
# bench/results.md. The peers are installed into bench/ only (exact versions, package-lock).
# The Node rows run against the gateway binary the cargo bench builds (target/release; built by
# `cargo build --release` instead, the same file would be rebuilt at every switch of profile).
# About 5 minutes once built (see README, Benchmarks).
bench: pkg bench-peers
	CARGO_PROFILE_BENCH_PANIC=unwind cargo bench -p workspace-tsvi-gateway --bench list_servers --no-run
	node bench/run.mjs

bench-peers:
	cd bench && npm ci --no-audit --no-fund --silent

# Row 2 alone: signRequest (both entries) against Huawei's Node AKSKSigner, its Python Signer and
# a node:crypto floor.
bench-sign: bench-peers
	@[ -d node_modules/workspace-tsvi ] || $(MAKE) pkg
	node bench/run.mjs --only sign

# The gateway under slow and greedy clients (gateway/README.md, Performance; panic=unwind: see there).
bench-load:
	CARGO_PROFILE_BENCH_PANIC=unwind cargo bench -p workspace-tsvi-gateway --bench load

# tests/fuzz.rs runs 2,000 cases per target in `make test`; here 100,000 (FUZZ_CASES), built
# optimized with overflow checks on. Then 50,000 random values at every export of the package.
FUZZ_CASES ?= 100000
fuzz: pkg
	PROPTEST_CASES=$(FUZZ_CASES) cargo test --profile fuzz -p workspace-tsvi --test fuzz -- --test-threads=2
	FUZZ_JS_CASES=50000 node --test tests/node/hostile.test.mjs

clean:
	rm -rf pkg target/signing.fresh.json
