#!/usr/bin/env bash
# Resident memory of `hashwall serve` with the issue's worst case loaded:
# 10 M URL entries and 1 M PDQ hashes (loopback only, bounded).
#
# Generates two list files (URLs: 60 % `domain`, 30 % `url-prefix`, 10 % `url`,
# each with a reference; PDQ: 1 M random 256-bit hashes), starts the release
# binary on them, waits for /readyz, sends a few requests, reloads once
# (a reload builds a second snapshot beside the first: the peak), and prints
# VmRSS / VmHWM from /proc. Figures go in benches/README.md ("Proxy memory").
#
# Usage: benches/proxy_memory.sh [URL_ENTRIES] [PDQ_ENTRIES]   (defaults 10000000 1000000)
#
# To compare binaries in one run (the lists generated once, the binaries
# alternated ROUNDS times, medians printed at the end):
#   BINS="before=/path/to/old/hashwall after=target/release/hashwall" ROUNDS=3 \
#     benches/proxy_memory.sh 2000000 200000
# With BINS set nothing is built.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
. benches/lib.sh

URLS="${1:-10000000}"
PDQS="${2:-1000000}"
WORK="$(mktemp -d)"
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

status() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$PID/status"; }
mib() { echo $(( $1 / 1024 )); }

BINS="${BINS:-}"
ROUNDS="${ROUNDS:-1}"
if [ -z "$BINS" ]; then
  echo "== building (release)"
  cargo build -q --release -p hashwall-proxy --bin hashwall
  BINS="hashwall=./target/release/hashwall"
fi

echo "== generating ${URLS} URL entries and ${PDQS} PDQ hashes"
awk -v n="$URLS" 'BEGIN {
  srand(7);
  print "# hashwall-list: 1\n# id: mem-urls\n# issuer: bench\n# category: csam\n# policy: block\n# sequence: 1";
  split("com net org info co.uk de nl fr ru io", tld, " ");
  for (i = 0; i < n; i++) {
    h = sprintf("h%08x-%d.%s", i * 2654435761 % 4294967296, i % 97, tld[i % 10 + 1]);
    r = i % 10;
    if (r < 6) printf "domain %s REF-%d\n", h, i;
    else if (r < 9) printf "url-prefix %s/gallery/%d/ REF-%d\n", h, i % 100000, i;
    else printf "url %s/img/%d/%x.jpg REF-%d\n", h, i % 1000, i, i;
  }
}' > "$WORK/urls.list"
python3 - "$PDQS" > "$WORK/pdq.list" <<'PY'
import random, sys
n = int(sys.argv[1]); rnd = random.Random(11)
out = sys.stdout
out.write("# hashwall-list: 1\n# id: mem-pdq\n# issuer: bench\n# category: csam\n# policy: block\n# sequence: 1\n")
for i in range(n):
    out.write("pdq %064x P-%d\n" % (rnd.getrandbits(256), i))
PY
ls -l "$WORK"/*.list | awk '{printf "   %s: %d MiB\n", $9, $5 / 1048576}'

HW_PORT="$(free_port)"
AD_PORT="$(free_port)"
cat > "$WORK/serve.toml" <<TOML
[proxy]
listen = "127.0.0.1:$HW_PORT"
[admin]
enabled = true
listen = "127.0.0.1:$AD_PORT"
token = "memory-bench"
[lists]
poll_secs = 0
[trust]
allow_unsigned = true
[log]
level = "warn"
[[list]]
path = "$WORK/urls.list"
[[list]]
path = "$WORK/pdq.list"
TOML

# measure NAME BIN: one start and one reload; appends a line to $WORK/results.
measure() {
  local name="$1" bin="$2"
  echo "== $name: starting $bin serve (load average $(cut -d' ' -f1 /proc/loadavg))"
  local start ready_ms rss_ready hwm_ready rss_reload hwm_reload blocked reload_ms
  start=$(date +%s%N)
  "$bin" serve --config "$WORK/serve.toml" 2> "$WORK/hashwall.log" &
  PID=$!
  until curl -fsS -H "Authorization: Bearer memory-bench" "http://127.0.0.1:$AD_PORT/readyz" >/dev/null 2>&1; do
    if ! kill -0 "$PID" 2>/dev/null; then cat "$WORK/hashwall.log" >&2; exit 1; fi
    sleep 0.2
  done
  ready_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  for _ in 1 2 3; do
    curl -s -o /dev/null -x "http://127.0.0.1:$HW_PORT" http://h00000000-0.com/ || true
  done
  sleep 1
  rss_ready="$(status VmRSS)"; hwm_ready="$(status VmHWM)"
  reload_ms="$(curl -fsS -X POST -H "Authorization: Bearer memory-bench" "http://127.0.0.1:$AD_PORT/reload" \
    | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["millis"]))')"
  sleep 1
  rss_reload="$(status VmRSS)"; hwm_reload="$(status VmHWM)"
  blocked="$(curl -s -o /dev/null -w '%{http_code}' -x "http://127.0.0.1:$HW_PORT" http://h00000000-0.com/)"
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""

  echo "   ready after ${ready_ms} ms (parse, verify, compile both lists); reload took ${reload_ms} ms"
  echo "   after start:  VmRSS $(mib "$rss_ready") MiB, peak (VmHWM) $(mib "$hwm_ready") MiB"
  echo "   after reload: VmRSS $(mib "$rss_reload") MiB, peak (VmHWM) $(mib "$hwm_reload") MiB"
  echo "   a listed domain answered: $blocked"
  echo "$name $ready_ms $reload_ms $(mib "$rss_ready") $(mib "$hwm_ready") $(mib "$rss_reload") $(mib "$hwm_reload") $blocked" >> "$WORK/results"
}

: > "$WORK/results"
for _ in $(seq 1 "$ROUNDS"); do
  for pair in $BINS; do
    measure "${pair%%=*}" "${pair#*=}"
  done
done

echo "== ${URLS} URL entries + ${PDQS} PDQ hashes, ${ROUNDS} round(s), medians (MiB, ms)"
python3 - "$WORK/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows.setdefault(f[0], []).append([int(x) for x in f[1:8]])
print("%-10s %9s %9s %9s %12s %9s %12s %12s" % ("binary", "ready ms", "reload ms", "RSS", "peak load", "RSS after", "peak reload", "peak/RSS"))
for name, rs in rows.items():
    m = [statistics.median(c) for c in zip(*rs)]
    print("%-10s %9d %9d %9d %12d %9d %12d %11.2fx" % (name, m[0], m[1], m[2], m[3], m[4], m[5], m[5] / m[2]))
PY
