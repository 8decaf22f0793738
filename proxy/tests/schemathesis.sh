#!/usr/bin/env bash
# Schemathesis (PyPI) against a running `hashwall serve`: every operation of
# the checked-in OpenAPI document (proxy/assets/openapi.json), fuzzed and
# checked for server errors (5xx, dropped connections), undocumented status
# codes, content types, headers and response bodies that do not match the
# document. Two of schemathesis' checks are excluded, on purpose:
#   positive_data_acceptance  a schema cannot say which bytes decode as an
#                             image or which hex is a valid hash of its kind,
#                             and GET /h/hash?url= is refused by design;
#   negative_data_rejection   POST /v1/check answers a bad item with an
#                             error for that item (200), never for the batch.
# Usage: proxy/tests/schemathesis.sh   (HASHWALL_ST_EXAMPLES=N, default 100)
set -euo pipefail
cd "$(dirname "$0")/../.."

venv="${HASHWALL_ST_VENV:-$PWD/target/schemathesis-venv}"
if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==4.32.5"
fi
cargo build -p hashwall-proxy --locked
dir="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
printf 'ci schemathesis-token\n' > "$dir/tokens"
cat > "$dir/hw.toml" <<TOML
[proxy]
listen = "127.0.0.1:0"
[admin]
listen = "127.0.0.1:0"
[api]
listen = "127.0.0.1:$port"
token_file = "tokens"
[lists]
poll_secs = 0
TOML
./target/debug/hashwall serve --config "$dir/hw.toml" 2>"$dir/serve.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/openapi.json" >/dev/null && break
  sleep 0.2
done
# Run from the scratch directory: schemathesis keeps a cache in the working
# directory, which must not land in the repository.
cd "$dir"
"$venv/bin/st" run "http://127.0.0.1:$port/openapi.json" \
  --header "Authorization: Bearer schemathesis-token" \
  --checks all \
  --exclude-checks positive_data_acceptance,negative_data_rejection \
  --max-examples "${HASHWALL_ST_EXAMPLES:-100}"
