#!/usr/bin/env bash
# How hashwall's proxy scales from one core to two (issue 17: requests/s on
# 2 cores ≥ 1.8× one core), on this machine, loopback only.
#
# Two hashwall processes serve the same 1 M-entry list (the one of
# proxy_load.sh): one with one runtime worker pinned to core 0, one with two
# workers pinned to cores 0 and 1 (`taskset`). wrk and the origin run on the
# other cores, so the proxy is what limits requests/s. wrk (keep-alive, an
# allowed URL) loads each in turn, ROUNDS times interleaved; around each load
# the proxy's CPU time (user + system, all threads, /proc/PID/stat) is read
# and divided by the requests it served.
#
# Needs 4 or more cores: two for the proxy and at least two for wrk and the
# origin. On fewer the load generator shares the proxy's cores and the ratio
# measures the machine, not the proxy, so the script refuses (FORCE=1 runs
# it anyway, with wrk and the origin on the last core).
#
# Usage: [ROUNDS=3] benches/proxy_scaling.sh [SECONDS] [CONNECTIONS]   (defaults 10, 64)
# Needs: cargo, apt-get (root) if wrk is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
. benches/lib.sh

DURATION="${1:-10}"
CONNS="${2:-64}"
ROUNDS="${ROUNDS:-3}"
ENTRIES=1000000
bench_scratch

CORES="$(nproc)"
if [ "$CORES" -lt 4 ] && [ "${FORCE:-0}" != 1 ]; then
  echo "proxy_scaling.sh needs 4 or more cores (2 for the proxy, 2 or more for wrk and the origin); this machine has $CORES. FORCE=1 runs it anyway." >&2
  exit 2
fi
if [ "$CORES" -lt 3 ]; then
  echo "needs at least 3 cores even with FORCE=1" >&2; exit 2
fi
LOAD_CORES="2-$((CORES - 1))"
WRK_THREADS=$((CORES - 2))
if ! need wrk; then
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

echo "== building (release)"
cargo build -q --release -p hashwall-proxy --bin hashwall --example bench_upstream

echo "== generating a ${ENTRIES}-entry list"
bench_list "$ENTRIES" "$WORK/bench.list"

UP_PORT="$(free_port)"
taskset -c "$LOAD_CORES" ./target/release/examples/bench_upstream "127.0.0.1:$UP_PORT" > /dev/null &
PIDS+=($!)
wait_port "$UP_PORT"
UP="127.0.0.1:$UP_PORT"

# Starts a proxy: `proxy NAME WORKERS [taskset args...]`; sets PORT_<NAME>
# and PID_<NAME>.
proxy() {
  local name="$1" workers="$2"; shift 2
  local port
  port="$(free_port)"
  cat > "$WORK/$name.toml" <<TOML
[proxy]
listen = "127.0.0.1:$port"
[acl]
allow_destinations = ["127.0.0.1/32"]
[admin]
enabled = false
[api]
enabled = false
[lists]
poll_secs = 0
[trust]
allow_unsigned = true
[log]
level = "warn"
[[list]]
path = "$WORK/bench.list"
TOML
  TOKIO_WORKER_THREADS="$workers" "$@" ./target/release/hashwall serve \
    --config "$WORK/$name.toml" 2> "$WORK/$name.log" &
  PIDS+=($!)
  printf -v "PID_$name" '%s' "$!"
  printf -v "PORT_$name" '%s' "$port"
  wait_port "$port"
}
proxy one 1 taskset -c 0
proxy two 2 taskset -c 0,1

cat > "$WORK/absolute.lua" <<LUA
wrk.path = "http://$UP/page.html"
LUA

TICK_US=$((1000000 / $(getconf CLK_TCK)))

# `load NAME PID PORT`: prints "req/s cpu_us_per_request".
load() {
  local name="$1" pid="$2" port="$3"
  local t0 t1 out rps total
  t0="$(pid_ticks "$pid")"
  out="$(taskset -c "$LOAD_CORES" wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s "$WORK/absolute.lua" "http://127.0.0.1:$port")"
  t1="$(pid_ticks "$pid")"
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  total="$(awk '/requests in/ {print $1}' <<<"$out")"
  awk -v r="$rps" -v d=$((t1 - t0)) -v n="$total" -v t="$TICK_US" -v name="$name" 'BEGIN {
    printf "%-44s %10.0f req/s   proxy CPU %6.1f µs/request\n", name, r, d * t / n > "/dev/stderr"
    printf "%s %.2f\n", r, d * t / n }'
}

echo "== ${DURATION}s per load, ${ROUNDS} interleaved rounds, ${CONNS} keep-alive connections, $WRK_THREADS wrk threads on cores $LOAD_CORES"
one_rps=(); one_cpu=(); two_rps=(); two_cpu=()
for round in $(seq 1 "$ROUNDS"); do
  echo "-- round $round" >&2
  read -r r c < <(load "1 worker on core 0" "$PID_one" "$PORT_one")
  one_rps+=("$r"); one_cpu+=("$c")
  read -r r c < <(load "2 workers on cores 0 and 1" "$PID_two" "$PORT_two")
  two_rps+=("$r"); two_cpu+=("$c")
done
r1="$(median "${one_rps[@]}")"; c1="$(median "${one_cpu[@]}")"
r2="$(median "${two_rps[@]}")"; c2="$(median "${two_cpu[@]}")"
echo "== medians: 1 worker $r1 req/s at $c1 µs/request; 2 workers $r2 req/s at $c2 µs/request"
awk -v r1="$r1" -v r2="$r2" -v c1="$c1" -v c2="$c2" 'BEGIN {
  printf "   requests/s, 2 cores over 1: %.2fx (target >= 1.8x); CPU per request, 2 workers over 1: %.2fx\n", r2 / r1, c2 / c1 }'
