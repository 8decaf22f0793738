# Helpers shared by the benchmark scripts (sourced, not run).

# True when the command exists.
need() { command -v "$1" >/dev/null 2>&1; }

# A loopback port free at the time of asking.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits up to 60 s for something to listen on 127.0.0.1:PORT.
wait_port() {
  for _ in $(seq 1 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "port $1 never opened" >&2; return 1
}

# A Squid configuration for loopback benchmarks, on standard output:
# `squid_conf DIR PORT NAME [LINE ...]`. Listens on 127.0.0.1:PORT, serves
# loopback clients only, caches nothing, logs to DIR/squid-NAME.log, never
# asks a DNS server off this machine. Each LINE is placed before the access
# rules, so a caller's `http_access deny …` comes first and ICAP lines fit
# anywhere.
squid_conf() {
  local dir="$1" port="$2" name="$3"; shift 3
  printf 'http_port 127.0.0.1:%s\nacl localnet src 127.0.0.1/32\n' "$port"
  printf '%s\n' "$@"
  cat <<CONF
http_access allow localnet
http_access deny all
cache deny all
cache_mem 8 MB
access_log none
cache_log $dir/squid-$name.log
pid_filename $dir/squid-$name.pid
coredump_dir $dir
workers 1
shutdown_lifetime 1 seconds
# Loopback only: no DNS server off this machine, no ICMP pinger.
dns_nameservers 127.0.0.1
pinger_enable off
CONF
}

# A scratch directory in WORK, and PIDS for the background processes a
# script starts; both are cleaned up when the script exits.
bench_scratch() {
  WORK="$(mktemp -d)"
  PIDS=()
  trap bench_cleanup EXIT
}
bench_cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}

# `bench_list N FILE`: the proxy benchmarks' unsigned list of N entries,
# half `domain dNNNNNNN.bench.example`, half `url-prefix
# hNNNNNNN.bench.example/path/N/`, each with a reference.
bench_list() {
  awk -v n="$1" 'BEGIN {
    print "# issuer: bench\n# category: other\n# policy: block\n# sequence: 1";
    for (i = 0; i < n; i++) {
      if (i % 2) printf "url-prefix h%07d.bench.example/path/%d/ B%d\n", i, i, i;
      else printf "domain d%07d.bench.example B%d\n", i, i;
    }
  }' > "$2"
}

# The median of the numbers given as arguments.
median() {
  printf '%s\n' "$@" | sort -g |
    awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# CPU ticks (user + system, every thread) of the given PIDs together; a
# process gone meanwhile counts 0. Divide by `getconf CLK_TCK` for seconds.
pid_ticks() {
  local total=0 pid
  for pid in "$@"; do
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
