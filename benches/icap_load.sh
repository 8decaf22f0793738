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
# Usage: benches/icap_load.sh [SECONDS] [CONNECTIONS]   (defaults 10, 32)
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
WORK="$(mktemp -d)"
chmod 1777 "$WORK"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if ! need wrk || ! need squid || ! need c-icap; then
  apt-get update -qq && apt-get install -y -qq wrk squid c-icap >/dev/null
fi
SQUID="$(command -v squid || echo /usr/sbin/squid)"

echo "== building (release)"
cargo build -q --release -p hashwall-proxy --bin hashwall --example bench_upstream

echo "== generating a ${ENTRIES}-entry list"
awk -v n="$ENTRIES" 'BEGIN {
  print "# issuer: bench\n# category: other\n# policy: block\n# sequence: 1";
  for (i = 0; i < n; i++) {
    if (i % 2) printf "url-prefix h%07d.bench.example/path/%d/ B%d\n", i, i, i;
    else printf "domain d%07d.bench.example B%d\n", i, i;
  }
}' > "$WORK/bench.list"

UP_PORT="$(free_port)"
./target/release/examples/bench_upstream "127.0.0.1:$UP_PORT" > /dev/null &
PIDS+=($!)
wait_port "$UP_PORT"
UP="127.0.0.1:$UP_PORT"

HW_PORT="$(free_port)"
ICAP_PORT="$(free_port)"
cat > "$WORK/serve.toml" <<TOML
[proxy]
listen = "127.0.0.1:$HW_PORT"
[acl]
allow_destinations = ["127.0.0.1/32"]
[admin]
enabled = false
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
./target/release/hashwall serve --config "$WORK/serve.toml" 2> "$WORK/hashwall.log" &
PIDS+=($!)
wait_port "$HW_PORT"
wait_port "$ICAP_PORT"

ECHO_PORT="$(free_port)"
sed -e "s#^PidFile .*#PidFile $WORK/c-icap.pid#" \
    -e "s#^CommandsSocket .*#CommandsSocket $WORK/c-icap.ctl#" \
    -e "s#^Port .*#Port 127.0.0.1:$ECHO_PORT#" \
    -e "s#^ServerLog .*#ServerLog $WORK/c-icap-server.log#" \
    -e "s#^AccessLog .*#AccessLog $WORK/c-icap-access.log#" \
    /etc/c-icap/c-icap.conf > "$WORK/c-icap.conf"
c-icap -N -f "$WORK/c-icap.conf" > "$WORK/c-icap.out" 2>&1 &
PIDS+=($!)
wait_port "$ECHO_PORT"

ICAP_COMMON=("icap_enable on" "icap_preview_enable on" "icap_preview_size 1024")
REQ="icap_service req reqmod_precache icap://127.0.0.1:$ICAP_PORT/reqmod bypass=off"
RESP="icap_service resp respmod_precache icap://127.0.0.1:$ICAP_PORT/respmod bypass=off"
ECHO="icap_service req reqmod_precache icap://127.0.0.1:$ECHO_PORT/echo bypass=off"

cat > "$WORK/absolute.lua" <<LUA
wrk.path = "http://$UP/page.html"
LUA

run() {
  local name="$1"; shift
  local out
  out="$(wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "$@")"
  local rps lat p99 non2xx
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  lat="$(awk '/Latency/ && !/Distribution/ {print $2; exit}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  non2xx="$(awk '/Non-2xx/ {print $5}' <<<"$out")"
  printf '%-40s %12s req/s   mean %8s   p99 %8s   non-2xx %s\n' "$name" "$rps" "$lat" "$p99" "${non2xx:-0}" >&2
  echo "$rps"
}

# Starts Squid with the given ICAP lines, loads it, stops it; prints req/s.
through_squid() {
  local name="$1"; shift
  local port pid
  port="$(free_port)"
  squid_conf "$WORK" "$port" "$(echo "$name" | tr -c 'a-z0-9' '_')" "$@" > "$WORK/squid.conf"
  "$SQUID" -N -f "$WORK/squid.conf" 2>> "$WORK/squid.err" &
  pid=$!
  wait_port "$port"
  # One request first: Squid fetches the services' OPTIONS.
  curl -s -o /dev/null -x "http://127.0.0.1:$port" "http://$UP/page.html" || true
  run "$name" -s "$WORK/absolute.lua" "http://127.0.0.1:$port"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

echo "== load: ${DURATION}s per path, ${CONNS} keep-alive connections, 1 wrk thread, $(nproc) cores, allowed URL"
base="$(through_squid "squid alone" )"
req="$(through_squid "squid + hashwall REQMOD" "${ICAP_COMMON[@]}" "$REQ" "adaptation_access req allow all")"
both="$(through_squid "squid + hashwall REQMOD+RESPMOD" "${ICAP_COMMON[@]}" "$REQ" "$RESP" \
  "adaptation_access req allow all" "adaptation_access resp allow all")"
echo_rps="$(through_squid "squid + c-icap echo (REQMOD)" "${ICAP_COMMON[@]}" "$ECHO" "adaptation_access req allow all")"
own="$(run "hashwall serve (own proxy)" -s "$WORK/absolute.lua" "http://127.0.0.1:$HW_PORT")"
awk -v b="$base" -v r="$req" -v x="$both" -v e="$echo_rps" -v o="$own" 'BEGIN {
  printf "   share of squid alone: REQMOD %.0f %% (target >= 80 %%), REQMOD+RESPMOD %.0f %%, c-icap echo %.0f %%, own proxy %.0f %%\n",
    100 * r / b, 100 * x / b, 100 * e / b, 100 * o / b }'
