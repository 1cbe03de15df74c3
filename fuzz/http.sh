#!/usr/bin/env bash
# Fuzzes the playground's HTTP API with schemathesis, from its own description
# (`/api/openapi.json`): `fuzz/http.sh SECONDS` (default 60). It builds the release binary,
# starts `backprop playground` on a free port, and runs schemathesis's example, coverage,
# fuzzing and stateful phases against it. It fails on any 5xx, a response that breaks the
# description (status, content type, schema), or a request breaking the description that is
# accepted. Not checked: whether every request the description allows is accepted (some
# bounds are not expressible there: an edit's parameter name must exist, `data: upload`
# needs an uploaded CSV first). schemathesis goes in a venv (BACKPROP_HTTP_VENV, default
# /tmp/backprop-schemathesis); its report goes to fuzz/logs/http.log.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
venv="${BACKPROP_HTTP_VENV:-/tmp/backprop-schemathesis}"
[ -x "$venv/bin/schemathesis" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q schemathesis; }
cargo build --release --quiet
mkdir -p fuzz/logs
out="$(mktemp)"
"${CARGO_TARGET_DIR:-target}/release/backprop" playground --port 0 > "$out" &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$out"' EXIT
url=""
for _ in $(seq 50); do
    url="$(grep -o 'http://[^ ]*' "$out" || true)"
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { echo "the playground did not start"; exit 1; }
echo "== schemathesis against ${url}api/openapi.json for ${seconds}s"
# schemathesis keeps its state (.schemathesis/) in its working directory: fuzz/logs.
if (cd fuzz/logs && "$venv/bin/schemathesis" run "${url}api/openapi.json" --max-time "$seconds" --workers 2 \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,use_after_free,ensure_resource_availability \
    --continue-on-failure > http.log 2>&1); then
    grep -E "generated|passed|failures" fuzz/logs/http.log | tail -2
else
    echo "schemathesis found failures; the summary of fuzz/logs/http.log:"
    sed -n '/SUMMARY/,$p' fuzz/logs/http.log
    exit 1
fi
