#!/usr/bin/env bash
# Runs epstore's whole test suite: unit, engine, API conformance and end-to-end tests with the real
# clients (kubectl, the Python client in a venv made here, kube-rs). Works on a fresh machine with a
# Rust toolchain and python3; the Python client is installed into ./.venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${EPSTORE_VENV:-$PWD/.venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import kubernetes' 2>/dev/null; then
  echo "== creating the Python client venv in $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'kubernetes>=32' pyyaml
fi
export EPSTORE_PYTHON="$venv/bin/python"

echo "== building"
cargo build --workspace --all-targets --locked

echo "== tests"
cargo test --workspace --locked -- --test-threads="${EPSTORE_TEST_THREADS:-2}"

echo "== benches run once each in quick mode, in the test profile (no timing asserted)"
EPSTORE_BENCH_QUICK=1 cargo test --locked --bench storage
