#!/usr/bin/env bash
# URLs per second through `hashwall check --stdin-urls`, measured from
# outside: the binary reads a file of URLs on standard input and writes its
# verdict lines to /dev/null, pinned to one core. The list's load time
# (`--stats` load_ms) is subtracted, so the figure is the streaming rate.
#
# Usage: benches/cli_stream.sh [OTHER_HASHWALL ...]
#   Every binary given is run beside this tree's release build, interleaved
#   ROUNDS times (default 5) on the same files, so their medians compare
#   under the same machine load. ENTRIES (default 1000000) list entries,
#   STREAM (default 2000000) URLs; CPU (default 0) is the core.
# The list is unsigned (--allow-unsigned): signature checking is part of the
# load time, which is subtracted anyway.
# Needs: cargo, taskset (util-linux). The files go to target/cli-stream/.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
. benches/lib.sh
ENTRIES="${ENTRIES:-1000000}"; STREAM="${STREAM:-2000000}"; ROUNDS="${ROUNDS:-5}"; CPU="${CPU:-0}"
need taskset || { echo "taskset is missing: apt-get install util-linux" >&2; exit 1; }
WORK="$PWD/target/cli-stream"
mkdir -p "$WORK"
cargo build -q --release -p hashwall-proxy --bin hashwall
cargo build -q --release -p hashwall-benches --bin url_corpus
LIST="$WORK/list-$ENTRIES.txt"; URLS="$WORK/stream-$STREAM.txt"
if [ ! -s "$LIST" ] || [ ! -s "$URLS" ]; then
  target/release/url_corpus "$ENTRIES" "$STREAM" "$LIST" "$URLS"
fi
cp target/release/hashwall "$WORK/hashwall-this"
BINS=("$WORK/hashwall-this" "$@")

# One run: prints URLs/s (stream length over wall time minus load time).
rate() {
  local bin="$1" start end stats load_ms
  start=$(date +%s%N)
  stats=$(taskset -c "$CPU" "$bin" check --quiet --allow-unsigned --list "$LIST" --stdin-urls --stats < "$URLS" 2>&1 >/dev/null | grep '^stats:' || true)
  end=$(date +%s%N)
  [ -n "$stats" ] || { echo "no stats line from $bin" >&2; exit 1; }
  load_ms=$(sed -n 's/.*load_ms=\([0-9.]*\).*/\1/p' <<<"$stats")
  awk -v n="$STREAM" -v ns="$((end - start))" -v l="$load_ms" 'BEGIN { printf "%.0f\n", n / ((ns / 1e6 - l) / 1e3) }'
}

declare -A RUNS
for _ in $(seq 1 "$ROUNDS"); do
  for b in "${BINS[@]}"; do RUNS[$b]+="$(rate "$b") "; done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "entries $ENTRIES, stream $STREAM URLs, core $CPU, $ROUNDS rounds interleaved, load average $(cut -d' ' -f1-3 /proc/loadavg)"
base=""
for b in "${BINS[@]}"; do
  m=$(median <<<"${RUNS[$b]}")
  [ -n "$base" ] || base="$m"
  printf '%-40s median %10.0f URLs/s  (%s)  ratio to this tree %.2f\n' "$(basename "$b")" "$m" "${RUNS[$b]% }" "$(awk -v a="$m" -v b="$base" 'BEGIN { print a / b }')"
done
