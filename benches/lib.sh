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
