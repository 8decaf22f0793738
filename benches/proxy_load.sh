#!/usr/bin/env bash
# Keep-alive HTTP load, three ways, on this machine (loopback only):
#   1. wrk → upstream directly (the ceiling),
#   2. wrk → hashwall serve (a 1 M-entry list loaded) → upstream,
#   3. wrk → Squid (the same 1 M domains as a dstdomain ACL) → upstream.
# Prints requests/s and latency for each. Installs wrk and squid with apt-get
# when absent. Figures go in benches/README.md ("Proxy throughput").
#
# Usage: benches/proxy_load.sh [SECONDS] [CONNECTIONS]   (defaults 10, 32)
# Needs: cargo, apt-get (root) if wrk/squid are missing. Bounded: each run
# lasts SECONDS; every process started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
. benches/lib.sh

DURATION="${1:-10}"
CONNS="${2:-32}"
ENTRIES=1000000
bench_scratch

if ! need wrk || ! need squid; then
  apt-get update -qq && apt-get install -y -qq wrk squid >/dev/null
fi
SQUID="$(command -v squid || echo /usr/sbin/squid)"


echo "== building (release)"
cargo build -q --release -p hashwall-proxy --bin hashwall --example bench_upstream

echo "== generating a ${ENTRIES}-entry list"
# Half domains, half URL prefixes; Squid gets the same domains (and the
# prefixes' hosts) as a dstdomain ACL.
bench_list "$ENTRIES" "$WORK/bench.list"
awk -v n="$ENTRIES" 'BEGIN {
  for (i = 0; i < n; i++) {
    if (i % 2) printf ".h%07d.bench.example\n", i; else printf ".d%07d.bench.example\n", i;
  }
}' > "$WORK/domains.txt"

UP_PORT="$(free_port)"
./target/release/examples/bench_upstream "127.0.0.1:$UP_PORT" > /dev/null &
PIDS+=($!)
wait_port "$UP_PORT"
UP="127.0.0.1:$UP_PORT"

HW_PORT="$(free_port)"
cat > "$WORK/serve.toml" <<TOML
[proxy]
listen = "127.0.0.1:$HW_PORT"
# The upstream is on loopback, which the proxy refuses by default.
[acl]
allow_destinations = ["127.0.0.1/32"]
[admin]
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
start=$(date +%s%N)
./target/release/hashwall serve --config "$WORK/serve.toml" 2> "$WORK/hashwall.log" &
PIDS+=($!)
wait_port "$HW_PORT"
hw_load=$(( ($(date +%s%N) - start) / 1000000 ))

SQ_PORT="$(free_port)"
# -n: never resolve an IP destination to match the ACL (no DNS at all).
squid_conf "$WORK" "$SQ_PORT" dstdomain \
  "acl blocked dstdomain -n \"$WORK/domains.txt\"" "http_access deny blocked" > "$WORK/squid.conf"
start=$(date +%s%N)
"$SQUID" -N -f "$WORK/squid.conf" 2> "$WORK/squid.log" &
PIDS+=($!)
wait_port "$SQ_PORT"
sq_load=$(( ($(date +%s%N) - start) / 1000000 ))

# wrk sends `GET <path>`: an absolute URL as the path makes it a proxy request.
cat > "$WORK/absolute.lua" <<LUA
wrk.path = "http://$UP/page.html"
LUA
cat > "$WORK/blocked.lua" <<LUA
wrk.path = "http://d0000042.bench.example/x.jpg"
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
  printf '%-34s %12s req/s   mean %8s   p99 %8s   non-2xx %s\n' "$name" "$rps" "$lat" "$p99" "${non2xx:-0}"
}

echo "== load: ${DURATION}s, ${CONNS} keep-alive connections, 1 wrk thread, $(nproc) cores"
echo "   list load: hashwall ${hw_load} ms, squid ${sq_load} ms (start to listening)"
run "direct (no proxy)" "http://$UP/page.html"
run "hashwall serve, allowed URL" -s "$WORK/absolute.lua" "http://127.0.0.1:$HW_PORT"
run "squid 5 dstdomain, allowed URL" -s "$WORK/absolute.lua" "http://127.0.0.1:$SQ_PORT"
run "hashwall serve, blocked (451)" -s "$WORK/blocked.lua" "http://127.0.0.1:$HW_PORT"
run "squid 5 dstdomain, blocked (403)" -s "$WORK/blocked.lua" "http://127.0.0.1:$SQ_PORT"
echo "   hashwall RSS: $(ps -o rss= -p "${PIDS[1]}") KiB; squid RSS: $(ps -o rss= -p "${PIDS[2]}") KiB"

# Added latency: one connection, one request at a time, so the figure is the
# time a request spends in the proxy, not in a queue. Each path runs
# LAT_ROUNDS times interleaved (direct, hashwall, squid, direct, …), so the
# machine's background load hits all three alike; the medians of the
# per-round p50s are compared.
LAT_SECS="${LAT_SECS:-5}"
LAT_ROUNDS="${LAT_ROUNDS:-5}"
p50_us() {
  wrk -t1 -c1 -d"${LAT_SECS}s" --latency "$@" | awk '$1 == "50%" {
    v = $2; u = v; gsub(/[0-9.]/, "", u); gsub(/[a-z]/, "", v);
    if (u == "ms") v *= 1000; else if (u == "s") v *= 1000000; print v }'
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
d=(); h=(); q=()
for _ in $(seq 1 "$LAT_ROUNDS"); do
  d+=("$(p50_us "http://$UP/page.html")")
  h+=("$(p50_us -s "$WORK/absolute.lua" "http://127.0.0.1:$HW_PORT")")
  q+=("$(p50_us -s "$WORK/absolute.lua" "http://127.0.0.1:$SQ_PORT")")
done
dm="$(printf '%s\n' "${d[@]}" | median)"
hm="$(printf '%s\n' "${h[@]}" | median)"
qm="$(printf '%s\n' "${q[@]}" | median)"
echo "== latency: 1 connection, ${LAT_ROUNDS} interleaved rounds of ${LAT_SECS}s, p50 per round (us)"
echo "   direct:   ${d[*]}"
echo "   hashwall: ${h[*]}"
echo "   squid:    ${q[*]}"
awk -v d="$dm" -v h="$hm" -v q="$qm" 'BEGIN {
  printf "   median p50: direct %.1f us, hashwall %.1f us (adds %.1f us), squid %.1f us (adds %.1f us)\n", d, h, h - d, q, q - d }'

