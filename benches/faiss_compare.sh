#!/usr/bin/env bash
# Compare hashwall's Hamming index with FAISS (what Meta's
# Hasher-Matcher-Actioner uses) on the same PDQ hashes and queries, one core.
#
#   benches/faiss_compare.sh            # 1 M clustered hashes
#   N=10000000 DATA=uniform benches/faiss_compare.sh
#
# Creates a venv (target/faiss-venv) with faiss-cpu and numpy, has the Rust
# bench write the (seeded, deterministic) list and 1000 near queries and time
# hashwall on them, then times IndexBinaryFlat and IndexBinaryMultiHash.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
DATA=${DATA:-clustered}
VENV=${VENV:-target/faiss-venv}
OUT="$PWD/target/faiss-data/$DATA-$N"

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet faiss-cpu numpy

HASHWALL_FAISS_DIR="$OUT" HASHWALL_FAISS_DATA="$DATA" HASHWALL_BENCH_SIZES="$N" \
    cargo bench --quiet -p hashwall-benches --bench hamming
OMP_NUM_THREADS=1 "$VENV/bin/python" benches/faiss_compare.py "$OUT"
