#!/usr/bin/env bash
# Soak: sustained keep-alive load through `hashwall serve` while the lists are
# reloaded every RELOAD_SECS, alternately by touching (rewriting) the list
# file, SIGHUP and `POST /reload`. Loopback only; every process started here is
# stopped on exit.
#
# Passes (exit 0) when
#   * no request failed: wrk reports no socket error and no non-2xx answer
#     (the URL requested is allowed, so every answer must be 200);
#   * every reload succeeded (hashwall_reloads_total{result="failure"} = 0) and
#     at least (DURATION / RELOAD_SECS) / 2 of them were counted;
#   * resident memory stayed bounded: no RSS sample of the soak (every
#     SAMPLE_SECS, and at the end) exceeds 1.25 × the peak RSS of the
#     warm-up (which reloads too) + 32 MiB (RSS_FACTOR_PCT, RSS_SLACK_KIB).
# Prints requests, rate, errors, reloads and RSS start/min/max/end.
#
# Usage: benches/soak.sh                      (600 s, 32 connections)
#        SOAK_SECS=60 benches/soak.sh         (a quick run)
# Knobs: SOAK_SECS CONNS ENTRIES RELOAD_SECS SAMPLE_SECS WARMUP_SECS
#        RSS_FACTOR_PCT RSS_SLACK_KIB
# Needs: cargo, python3, wrk (installed with apt-get when absent and root;
# otherwise the script skips with a message and exits 0).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
. benches/lib.sh

DURATION="${SOAK_SECS:-600}"
CONNS="${CONNS:-32}"
ENTRIES="${ENTRIES:-100000}"
RELOAD_SECS="${RELOAD_SECS:-3}"
SAMPLE_SECS="${SAMPLE_SECS:-5}"
WARMUP_SECS="${WARMUP_SECS:-30}"
RSS_FACTOR_PCT="${RSS_FACTOR_PCT:-125}"
RSS_SLACK_KIB="${RSS_SLACK_KIB:-32768}"
TOKEN="soak-$$-$RANDOM"

bench_scratch

if ! need wrk; then
  if [ "$(id -u)" = 0 ] && need apt-get; then
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else
    echo "soak: wrk is not installed and cannot be installed here; skipped"
    exit 0
  fi
fi

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
metric() {
  # The sum of a counter's samples matching a label filter (0 when absent).
  curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$ADMIN_PORT/metrics" |
    awk -v name="$1" -v filt="$2" 'index($0, name) == 1 && index($0, filt) { s += $NF } END { print s + 0 }'
}

echo "== building (release)"
cargo build -q --release -p hashwall-proxy --bin hashwall --example bench_upstream

echo "== generating a ${ENTRIES}-entry list"
gen_list() {
  awk -v n="$ENTRIES" -v seq="$1" 'BEGIN {
    print "# issuer: soak\n# category: other\n# policy: block\n# sequence: " seq;
    for (i = 0; i < n; i++) {
      if (i % 2) printf "url-prefix h%07d.soak.example/path/%d/ S%d\n", i, i, i;
      else printf "domain d%07d.soak.example S%d\n", i, i;
    }
  }'
}
gen_list 1 > "$WORK/soak.list"

UP_PORT="$(free_port)"
./target/release/examples/bench_upstream "127.0.0.1:$UP_PORT" > /dev/null &
PIDS+=($!)
wait_port "$UP_PORT"

HW_PORT="$(free_port)"
ADMIN_PORT="$(free_port)"
cat > "$WORK/serve.toml" <<TOML
[proxy]
listen = "127.0.0.1:$HW_PORT"
# The upstream is on loopback, which the proxy refuses by default.
[acl]
allow_destinations = ["127.0.0.1/32"]
[admin]
enabled = true
listen = "127.0.0.1:$ADMIN_PORT"
token = "$TOKEN"
[lists]
# The file-change trigger is exercised by polling every second.
poll_secs = 1
[log]
level = "warn"
[[list]]
path = "$WORK/soak.list"
allow_unsigned = true
TOML
./target/release/hashwall serve --config "$WORK/serve.toml" 2> "$WORK/hashwall.log" &
HW_PID=$!
PIDS+=("$HW_PID")
wait_port "$HW_PORT"
wait_port "$ADMIN_PORT"

cat > "$WORK/absolute.lua" <<LUA
wrk.path = "http://127.0.0.1:$UP_PORT/page.html"
LUA

# Reload driver, running through warm-up and soak: a new sequence each time,
# so every trigger is a real load.
touch "$WORK/running"
(
  n=0
  while [ -e "$WORK/running" ]; do
    sleep "$RELOAD_SECS"
    n=$((n + 1))
    case $((n % 3)) in
      0) gen_list $((n + 1)) > "$WORK/soak.list.tmp" && mv "$WORK/soak.list.tmp" "$WORK/soak.list" ;;
      1) kill -HUP "$HW_PID" ;;
      2) curl -sf -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$ADMIN_PORT/reload" ||
           echo "POST /reload failed" >> "$WORK/reload-errors" ;;
    esac
    echo "$n" > "$WORK/triggers"
  done
) &
PIDS+=($!)

# Warm-up, with reloads: the baseline RSS includes a reload's peak (two
# snapshots alive at once) and the allocator's settled arenas.
echo "== warm-up ${WARMUP_SECS}s (with reloads)"
wrk -t1 -c"$CONNS" -d"${WARMUP_SECS}s" -s "$WORK/absolute.lua" "http://127.0.0.1:$HW_PORT" > /dev/null &
WARM_PID=$!
PIDS+=("$WARM_PID")
: > "$WORK/rss-warm"
while kill -0 "$WARM_PID" 2>/dev/null; do
  rss_kib "$HW_PID" >> "$WORK/rss-warm" || break
  sleep 1
done
wait "$WARM_PID" || true
# RSS swings with every reload (two snapshots alive at once, then one):
# the baseline is the warm-up's peak, sampled every second.
RSS_START="$(sort -n "$WORK/rss-warm" | tail -1)"
RELOADS_BEFORE="$(metric hashwall_reloads_total 'result="success"')"
TRIGGERS_BEFORE="$(cat "$WORK/triggers" 2>/dev/null || echo 0)"

echo "== soak: ${DURATION}s, ${CONNS} connections, reload every ${RELOAD_SECS}s, RSS every ${SAMPLE_SECS}s"
wrk -t1 -c"$CONNS" -d"${DURATION}s" -s "$WORK/absolute.lua" "http://127.0.0.1:$HW_PORT" > "$WORK/wrk.out" &
WRK_PID=$!
PIDS+=("$WRK_PID")

# RSS sampler (in this shell, so the samples are at hand).
: > "$WORK/rss"
while kill -0 "$WRK_PID" 2>/dev/null; do
  rss_kib "$HW_PID" >> "$WORK/rss" || break
  sleep "$SAMPLE_SECS"
done
wait "$WRK_PID" || true
rm -f "$WORK/running"
sleep 1
RSS_END="$(rss_kib "$HW_PID")"
echo "$RSS_END" >> "$WORK/rss"

REQS="$(awk '/requests in/ {print $1}' "$WORK/wrk.out")"
RATE="$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.out")"
NON2XX="$(awk '/Non-2xx/ {print $5}' "$WORK/wrk.out")"; NON2XX="${NON2XX:-0}"
SOCKERR="$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$WORK/wrk.out")"; SOCKERR="${SOCKERR:-0}"
RELOADS="$(( $(metric hashwall_reloads_total 'result="success"') - RELOADS_BEFORE ))"
FAILED_RELOADS="$(metric hashwall_reloads_total 'result="failure"')"
TRIGGERS="$(( $(cat "$WORK/triggers" 2>/dev/null || echo 0) - TRIGGERS_BEFORE ))"
read -r RSS_MIN RSS_MAX < <(sort -n "$WORK/rss" | awk 'NR == 1 {min = $1} {max = $1} END {print min, max}')
BOUND=$(( RSS_START * RSS_FACTOR_PCT / 100 + RSS_SLACK_KIB ))

echo "requests        $REQS in ${DURATION}s ($RATE req/s, $CONNS connections, $(nproc) cores)"
echo "non-2xx         $NON2XX"
echo "socket errors   $SOCKERR"
echo "reload triggers $TRIGGERS; reloads counted $RELOADS; failed reloads $FAILED_RELOADS"
echo "RSS KiB         warm-up peak $RSS_START; soak min $RSS_MIN  max $RSS_MAX  end $RSS_END  (bound $BOUND, samples $(wc -l < "$WORK/rss"))"
echo "RSS MiB per minute: $(awk -v per=$((60 / SAMPLE_SECS)) '(NR - 1) % per == 0 { printf "%.0f ", $1 / 1024 }' "$WORK/rss")"
if [ -s "$WORK/reload-errors" ]; then cat "$WORK/reload-errors"; fi

status=0
if [ "$NON2XX" != 0 ] || [ "$SOCKERR" != 0 ] || [ -z "$REQS" ]; then
  echo "FAIL: failed requests"; status=1
fi
if [ "$FAILED_RELOADS" != 0 ] || [ "$RELOADS" -lt $(( DURATION / RELOAD_SECS / 2 )) ] || [ -s "$WORK/reload-errors" ]; then
  echo "FAIL: reloads"; status=1
fi
if [ "$RSS_MAX" -gt "$BOUND" ]; then
  echo "FAIL: RSS grew beyond the bound"; status=1
fi
[ "$status" = 0 ] && echo "PASS"
exit "$status"
