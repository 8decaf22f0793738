#!/usr/bin/env bash
# The Python binding's tests (engine/python/tests), called by .ci/run.
#
# A fresh venv under target/, the binding built from source by pip through
# maturin (`pip install ./engine/python`, what a user runs), the real peers
# from PyPI at pinned versions (pdqhash: Meta's C++ PDQ core; threatexchange:
# python-threatexchange's PdqSignal; Ray Data for the rescan example), then
# pytest with the peers and the conformance data required.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"

python="${PYTHON:-python3}"
venv="$root/target/python-venv"
rm -rf "$venv"
"$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check)

# The `hashwall` binary signs the tests' list fixtures (keygen, sign, trust).
# The same command as .ci/run's test step, so that after it this builds
# nothing (a `cargo build -p` would unify features differently and rebuild).
cargo test --workspace --locked --no-run
export HASHWALL_BIN="$root/target/debug/hashwall"

# A dev-profile build reuses what `cargo test` already compiled; the
# benchmark (benches/python_hash.sh) builds the release profile.
export MATURIN_PEP517_ARGS="${MATURIN_PEP517_ARGS:---profile dev}"
"${pip[@]}" install -q ./engine/python \
  "pytest==9.2.0" "numpy==2.3.5" "pillow==13.0.0" "pdqhash==0.2.8" \
  "threatexchange==1.2.17" "ray[data]==2.60.0"

export HASHWALL_REQUIRE_PEERS=1
export HASHWALL_REQUIRE_CONFORMANCE="${HASHWALL_REQUIRE_CONFORMANCE:-1}"
# Ray: no usage reporting, no dashboard, a short-lived local cluster.
export RAY_USAGE_STATS_ENABLED=0
cd "$root/engine/python"
"$venv/bin/python" -m pytest tests -v -p no:cacheprovider
