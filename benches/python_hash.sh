#!/usr/bin/env bash
# `hashwall.hash_images` (the Python binding, release build) against the
# reference PDQ in Python (Pillow decoding + PyPI `pdqhash`, the C++ core),
# per core and on every core, on the same JPEG files, in one process.
#
#   benches/python_hash.sh                      # venv and images under target/
#   PYBENCH_ROUNDS=11 benches/python_hash.sh
#
# Needs python3 (with venv) and a C++ compiler (pip builds pdqhash from
# source). The images are derived from the shared conformance photo
# (HASHWALL_CONFORMANCE or ../shared/conformance).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${PYBENCH_VENV:-target/python-bench-venv}
conf="${HASHWALL_CONFORMANCE:-$PWD/../shared/conformance}"
photo="$conf/pdq/pdq/data/bridge-mods/aaa-orig.jpg"
[ -f "$photo" ] || { echo "no conformance photo at $photo (set HASHWALL_CONFORMANCE)" >&2; exit 1; }

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "pdqhash==0.2.8" "pillow==13.0.0" "numpy==2.3.5"
# The release build of the binding (maturin's default profile).
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./engine/python

"$VENV/bin/python" benches/python_hash.py --rounds "${PYBENCH_ROUNDS:-7}" "$photo"
