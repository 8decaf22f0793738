#!/usr/bin/env bash
# Keep-alive HTTP load through Squid with ICAP services, on this machine
# (loopback only), the same origin and the same 1 M-entry list throughout:
#   1. wrk → Squid (no ICAP) → origin                      (the baseline)
#   2. wrk → Squid + hashwall ICAP REQMOD → origin
#   3. wrk → Squid + hashwall ICAP REQMOD and RESPMOD → origin
#   4. wrk → Squid + c-icap's `echo` service (REQMOD) → origin
#   5. wrk → hashwall serve (its own proxy) → origin
# Prints requests/s and latency for each, and REQMOD's share of the
# baseline (target ≥ 80 %). Installs wrk, squid and c-icap with apt-get when
# absent. Figures go in benches/README.md ("ICAP throughput").
#
# Usage: [ROUNDS=3] benches/icap_load.sh [SECONDS] [CONNECTIONS]   (defaults 10, 32; paths interleaved per round, medians reported)
# Needs: cargo, apt-get (root) if a tool is missing; Squid and c-icap run as
# root here (they drop to their own users). Every process started here is
# stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
. benches/lib.sh

DURATION="${1:-10}"
CONNS="${2:-32}"
ENTRIES=1000000
bench_scratch
chmod 1777 "$WORK"

if ! need wrk || ! need squid || ! need c-icap; then
  apt-get update -qq && apt-get install -y -qq wrk squid c-icap >/dev/null
fi
SQUID="$(command -v squid || echo /usr/sbin/squid)"

# PIN=1 (the default on 2 or more cores): Squid, which is single-threaded,
# gets core 0 to itself and everything else (wrk, the origin, hashwall,
# c-icap) shares core 1, so that Squid's requests/s is bounded by its own CPU
# per request rather than by whichever process the scheduler favours.
PIN="${PIN:-$([ "$(nproc)" -ge 2 ] && echo 1 || echo 0)}"
ON_SQUID_CORE=(); ON_OTHER_CORE=()
if [ "$PIN" = 1 ]; then ON_SQUID_CORE=(taskset -c 0); ON_OTHER_CORE=(taskset -c 1); fi

echo "== building (release)"
cargo build -q --release -p hashwall-proxy --bin hashwall --example bench_upstream

echo "== generating a ${ENTRIES}-entry list"
bench_list "$ENTRIES" "$WORK/bench.list"

UP_PORT="$(free_port)"
"${ON_OTHER_CORE[@]}" ./target/release/examples/bench_upstream "127.0.0.1:$UP_PORT" > /dev/null &
PIDS+=($!)
wait_port "$UP_PORT"
UP="127.0.0.1:$UP_PORT"

HW_PORT="$(free_port)"
ADMIN_PORT="$(free_port)"
ICAP_PORT="$(free_port)"
cat > "$WORK/serve.toml" <<TOML
[proxy]
listen = "127.0.0.1:$HW_PORT"
[acl]
allow_destinations = ["127.0.0.1/32"]
[admin]
listen = "127.0.0.1:$ADMIN_PORT"
[api]
enabled = false
[icap]
enabled = true
listen = "127.0.0.1:$ICAP_PORT"
[lists]
poll_secs = 0
[trust]
allow_unsigned = true
[log]
level = "warn"
[[list]]
path = "$WORK/bench.list"
TOML
"${ON_OTHER_CORE[@]}" ./target/release/hashwall serve --config "$WORK/serve.toml" 2> "$WORK/hashwall.log" &
HW_PID=$!
PIDS+=("$HW_PID")
wait_port "$HW_PORT"
wait_port "$ICAP_PORT"

ECHO_PORT="$(free_port)"
sed -e "s#^PidFile .*#PidFile $WORK/c-icap.pid#" \
    -e "s#^CommandsSocket .*#CommandsSocket $WORK/c-icap.ctl#" \
    -e "s#^Port .*#Port 127.0.0.1:$ECHO_PORT#" \
    -e "s#^ServerLog .*#ServerLog $WORK/c-icap-server.log#" \
    -e "s#^AccessLog .*#AccessLog $WORK/c-icap-access.log#" \
    /etc/c-icap/c-icap.conf > "$WORK/c-icap.conf"
"${ON_OTHER_CORE[@]}" c-icap -N -f "$WORK/c-icap.conf" > "$WORK/c-icap.out" 2>&1 &
PIDS+=($!)
wait_port "$ECHO_PORT"

ICAP_COMMON=("icap_enable on" "icap_preview_enable on" "icap_preview_size 1024")
REQ="icap_service req reqmod_precache icap://127.0.0.1:$ICAP_PORT/reqmod bypass=off"
RESP="icap_service resp respmod_precache icap://127.0.0.1:$ICAP_PORT/respmod bypass=off"
ECHO="icap_service req reqmod_precache icap://127.0.0.1:$ECHO_PORT/echo bypass=off"

cat > "$WORK/absolute.lua" <<LUA
wrk.path = "http://$UP/page.html"
LUA

# CPU ticks (user + system, all threads) of every process with this name.
# shellcheck disable=SC2046  # one PID per word
cpu_ticks() { pid_ticks $(pgrep -x "$1" || true); }
TICK_US=$((1000000 / $(getconf CLK_TCK)))

# Loads one path; prints req/s on stdout, and to stderr the figures plus the
# CPU each of Squid, hashwall and c-icap spent per request during the load.
run() {
  local name="$1"; shift
  local out s0 h0 c0 s1 h1 c1
  s0="$(cpu_ticks squid)"; h0="$(cpu_ticks hashwall)"; c0="$(cpu_ticks c-icap)"
  out="$("${ON_OTHER_CORE[@]}" wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "$@")"
  s1="$(cpu_ticks squid)"; h1="$(cpu_ticks hashwall)"; c1="$(cpu_ticks c-icap)"
  local rps lat p99 non2xx total
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  lat="$(awk '/Latency/ && !/Distribution/ {print $2; exit}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  non2xx="$(awk '/Non-2xx/ {print $5}' <<<"$out")"
  total="$(awk '/requests in/ {print $1}' <<<"$out")"
  printf '%-34s %9s req/s  mean %7s  p99 %7s  non-2xx %s  CPU µs/req: squid %s hashwall %s c-icap %s\n' \
    "$name" "$rps" "$lat" "$p99" "${non2xx:-0}" \
    "$(awk -v d=$((s1 - s0)) -v n="$total" -v t="$TICK_US" 'BEGIN { printf "%.1f", d * t / n }')" \
    "$(awk -v d=$((h1 - h0)) -v n="$total" -v t="$TICK_US" 'BEGIN { printf "%.1f", d * t / n }')" \
    "$(awk -v d=$((c1 - c0)) -v n="$total" -v t="$TICK_US" 'BEGIN { printf "%.1f", d * t / n }')" >&2
  echo "$rps"
}

# Starts Squid with the given ICAP lines, loads it, stops it; prints req/s.
through_squid() {
  local name="$1"; shift
  local port pid
  port="$(free_port)"
  squid_conf "$WORK" "$port" "$(echo "$name" | tr -c 'a-z0-9' '_')" "$@" > "$WORK/squid.conf"
  "${ON_SQUID_CORE[@]}" "$SQUID" -N -f "$WORK/squid.conf" 2>> "$WORK/squid.err" &
  pid=$!
  wait_port "$port"
  # One request first: Squid fetches the services' OPTIONS.
  curl -s -o /dev/null -x "http://127.0.0.1:$port" "http://$UP/page.html" || true
  run "$name" -s "$WORK/absolute.lua" "http://127.0.0.1:$port"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  icap_counts >&2
}

# hashwall's ICAP connections and requests so far (from its /metrics): shows
# whether Squid reused its ICAP connections.
icap_counts() {
  curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" | awk '
    /^hashwall_icap_connections_total/ { c = $2 }
    /^hashwall_icap_requests_total/ { r += $2 }
    END { printf "%36s hashwall ICAP so far: %d connections, %d requests\n", "", c, r }'
}

ROUNDS="${ROUNDS:-3}"
echo "== load: ${DURATION}s per path, ${ROUNDS} interleaved rounds, ${CONNS} keep-alive connections, 1 wrk thread, $(nproc) cores, allowed URL, PIN=$PIN"
base=(); req=(); both=(); echo_rps=(); own=()
for round in $(seq 1 "$ROUNDS"); do
  echo "-- round $round" >&2
  base+=("$(through_squid "squid alone" )")
  req+=("$(through_squid "squid + hashwall REQMOD" "${ICAP_COMMON[@]}" "$REQ" "adaptation_access req allow all")")
  both+=("$(through_squid "squid + hashwall REQMOD+RESPMOD" "${ICAP_COMMON[@]}" "$REQ" "$RESP" \
    "adaptation_access req allow all" "adaptation_access resp allow all")")
  echo_rps+=("$(through_squid "squid + c-icap echo (REQMOD)" "${ICAP_COMMON[@]}" "$ECHO" "adaptation_access req allow all")")
  own+=("$(run "hashwall serve (own proxy)" -s "$WORK/absolute.lua" "http://127.0.0.1:$HW_PORT")")
done
# Without Squid: REQMOD after REQMOD on one keep-alive connection from a
# Python client on core 0, each server's CPU time per request
# (benches/icap_direct.py). This is the cost of the ICAP service itself.
DIRECT_N="${DIRECT_N:-20000}"
hw_direct=(); echo_direct=()
for round in $(seq 1 "$ROUNDS"); do
  read -r rps cpu rest < <("${ON_SQUID_CORE[@]}" python3 benches/icap_direct.py "127.0.0.1:$ICAP_PORT" reqmod "$HW_PID" "$DIRECT_N")
  printf '%-34s %9s req/s  server CPU %s µs/request  %s\n' "direct: hashwall REQMOD" "$rps" "$cpu" "$rest" >&2
  hw_direct+=("$cpu")
  read -r rps cpu rest < <("${ON_SQUID_CORE[@]}" python3 benches/icap_direct.py "127.0.0.1:$ECHO_PORT" echo "$(pgrep -d, -x c-icap)" "$DIRECT_N")
  printf '%-34s %9s req/s  server CPU %s µs/request  %s\n' "direct: c-icap echo REQMOD" "$rps" "$cpu" "$rest" >&2
  echo_direct+=("$cpu")
done
b="$(median "${base[@]}")"; r="$(median "${req[@]}")"; x="$(median "${both[@]}")"
e="$(median "${echo_rps[@]}")"; o="$(median "${own[@]}")"
echo "== medians of $ROUNDS rounds (req/s): squid alone $b, REQMOD $r, REQMOD+RESPMOD $x, c-icap echo $e, own proxy $o"
awk -v b="$b" -v r="$r" -v x="$x" -v e="$e" -v o="$o" 'BEGIN {
  printf "   share of squid alone: REQMOD %.0f %% (target >= 80 %%), REQMOD+RESPMOD %.0f %%, c-icap echo %.0f %%, own proxy %.0f %%\n",
    100 * r / b, 100 * x / b, 100 * e / b, 100 * o / b
  printf "   hashwall REQMOD against c-icap echo: %.2f\n", r / e }'
echo "== direct (no Squid), median server CPU per REQMOD: hashwall $(median "${hw_direct[@]}") µs, c-icap echo $(median "${echo_direct[@]}") µs"
