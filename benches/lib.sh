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
