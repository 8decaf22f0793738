#!/usr/bin/env bash
# The matching API under load (issue 13), in one run:
#
#  1. Hash lookups: `GET /m/lookup` (HMA) with wrk on keep-alive connections
#     against N PDQ hashes (radius 31, exact); half the queries are listed
#     hashes with a few bits flipped (matches), half random (no match).
#     Requests/s, p50, p99: the median of ROUNDS rounds.
#  2. Memory: VmRSS with the N hashes loaded, and VmHWM across a reload
#     (a reload builds the new snapshot beside the old one).
#  3. Image checks per core against python-threatexchange (the core of
#     Meta's HMA): the same IMAGES JPEGs and the same BANK-hash bank.
#     hashwall: `POST /v1/check/image`, one image at a time on one
#     keep-alive connection, the server pinned to one core with one image
#     worker. threatexchange: `PdqSignal.hash_from_bytes` then its PDQ index
#     (FAISS) `query`, one thread. Images/s of each and the ratio.
#
# Usage: benches/api_load.sh [N_PDQ] [BANK] [IMAGES]   (defaults 10000000 1000000 200)
#        ROUNDS=3 SECS=10 CONNS=32 benches/api_load.sh
# Loopback only. Needs wrk (apt-get install wrk) and python3 (a venv with
# threatexchange, faiss-cpu, pdqhash and Pillow is made under target/).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
. benches/lib.sh

N="${1:-10000000}"
BANK="${2:-1000000}"
IMAGES="${3:-200}"
ROUNDS="${ROUNDS:-3}"
SECS="${SECS:-10}"
CONNS="${CONNS:-32}"
VENV="${VENV:-target/api-bench-venv}"
WORK="$(mktemp -d)"
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
need wrk || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

echo "== building (release) and the Python peers"
cargo build -q --release -p hashwall-proxy --bin hashwall
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet threatexchange==1.2.17 faiss-cpu pdqhash pillow numpy

echo "== generating $N PDQ hashes, a $BANK-hash bank and $IMAGES images"
"$VENV/bin/python" benches/api_compare.py generate "$WORK" "$N" "$BANK" "$IMAGES"

serve() { # LIST CPUS WORKERS
  local port admin
  port="$(free_port)"; admin="$(free_port)"
  cat > "$WORK/serve.toml" <<TOML
[proxy]
enabled = false
[admin]
listen = "127.0.0.1:$admin"
token = "bench"
[api]
listen = "127.0.0.1:$port"
max_body_bytes = 33554432
[images]
workers = $3
[lists]
poll_secs = 0
[trust]
allow_unsigned = true
[log]
level = "warn"
[[list]]
path = "$1"
TOML
  taskset -c "$2" ./target/release/hashwall serve --config "$WORK/serve.toml" 2> "$WORK/hashwall.log" &
  PID=$!
  wait_port "$port"
  API_PORT=$port; ADMIN_PORT=$admin
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }
status() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$PID/status"; }

echo "== 1. lookups: $N hashes, wrk -t2 -c$CONNS -d${SECS}s, $ROUNDS rounds"
start=$(date +%s%N)
serve "$WORK/big.list" 0-1 0
echo "   loaded in $(( ($(date +%s%N) - start) / 1000000 )) ms; VmRSS $(( $(status VmRSS) / 1024 )) MiB"
cat > "$WORK/lookup.lua" <<'LUA'
local queries = {}
init = function(args)
  for line in io.lines(args[1]) do queries[#queries + 1] = line end
end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", queries[(i * 7919) % #queries + 1])
end
LUA
# The server's CPU time (user + system, clock ticks) from /proc: CPU per
# lookup does not depend on what else the machine runs.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
HZ=$(getconf CLK_TCK)
for r in $(seq 1 "$ROUNDS"); do
  before=$(cpu_ticks)
  wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s "$WORK/lookup.lua" \
      "http://127.0.0.1:$API_PORT" -- "$WORK/queries.txt" > "$WORK/wrk-$r.txt"
  rps=$(awk '/^Requests\/sec/ {print $2}' "$WORK/wrk-$r.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$WORK/wrk-$r.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk-$r.txt")
  errs=$(grep -E "Non-2xx|Socket errors" "$WORK/wrk-$r.txt" | tr '\n' ' ' || true)
  total=$(awk '/requests in/ {print $1}' "$WORK/wrk-$r.txt")
  cpu_us=$(echo "($(cpu_ticks) - $before) * 1000000 / $HZ / $total" | bc -l)
  echo "   round $r: $rps req/s, p50 $p50, p99 $p99, server CPU $(printf '%.0f' "$cpu_us") µs per lookup ${errs}"
done

echo "== 2. memory across a reload"
rss=$(status VmRSS)
curl -s -o /dev/null -H "Authorization: Bearer bench" -X POST "http://127.0.0.1:$ADMIN_PORT/reload"
echo "   serving VmRSS $(( rss / 1024 )) MiB; after reload VmRSS $(( $(status VmRSS) / 1024 )) MiB, peak VmHWM $(( $(status VmHWM) / 1024 )) MiB"
stop

echo "== 3. image checks per core: $IMAGES images against a $BANK-hash bank"
serve "$WORK/bank.list" 0 1
OMP_NUM_THREADS=1 taskset -c 1 "$VENV/bin/python" benches/api_compare.py images "$WORK" "$API_PORT"
stop
