#!/usr/bin/env bash
# signet-agent --check-config --check-network: a provider that answers, one whose port is closed and
# one that accepts but never answers (its http_timeout must end the wait). Usage: check_network.sh <build/bin>
set -euo pipefail
bin=$1
work=$(mktemp -d /tmp/signet-check-network.XXXXXX)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "check_network: FAIL: $*" >&2; for f in "$work"/*.out; do echo "--- $f" >&2; cat "$f" >&2; done; exit 1; }

# A discovery document on one port, a listener that never accepts on another, a closed third port.
python3 - "$work/ports" <<'PY' &
import http.server, json, socket, sys, threading
silent = socket.socket(); silent.bind(("127.0.0.1", 0)); silent.listen(16)  # never accepted, never answered
closed = socket.socket(); closed.bind(("127.0.0.1", 0)); closed_port = closed.getsockname()[1]; closed.close()
class Discovery(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        issuer = "http://127.0.0.1:%d" % self.server.server_address[1]
        if self.path != "/.well-known/openid-configuration":
            self.send_error(404); return
        body = json.dumps({"issuer": issuer, "authorization_endpoint": issuer + "/auth", "token_endpoint": issuer + "/token",
                           "jwks_uri": issuer + "/jwks", "code_challenge_methods_supported": ["S256"]}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *args): pass
httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Discovery)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d %d %d\n" % (httpd.server_address[1], silent.getsockname()[1], closed_port))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
httpd.serve_forever()
PY
server=$!
for _ in $(seq 1 100); do [ -s "$work/ports" ] && break; sleep 0.05; done
[ -s "$work/ports" ] || fail "the test server did not start"
read -r good silent closed <"$work/ports"

cat >"$work/policy.conf" <<CONF
[general]
providers = good, down, slow
allowed_domains = example.com
http_timeout = 2s

[provider.good]
type = oidc
issuer = http://127.0.0.1:$good
client_id = signet

[provider.down]
type = oidc
issuer = http://127.0.0.1:$closed
client_id = signet

[provider.slow]
type = oidc
issuer = http://127.0.0.1:$silent
client_id = signet
CONF
export XDG_CONFIG_DIRS=$work/no-system HOME=$work

echo "1. one reachable, one refused, one silent: exit 8, each named with file, group and key"
start=$(date +%s)
set +e
"$bin/signet-agent" --check-config --check-network "$work/policy.conf" >"$work/stdout.out" 2>"$work/stderr.out"
code=$?
set -e
took=$(( $(date +%s) - start ))
[ "$code" -eq 8 ] || fail "exit $code, expected 8"
grep -q "^reachable: \[provider.good\]: http://127.0.0.1:$good/.well-known/openid-configuration$" "$work/stdout.out" || fail "the reachable provider is not reported"
grep -q "^error: $work/policy.conf: \[provider.down\] issuer: " "$work/stderr.out" || fail "the refused provider is not reported with file, group and key"
grep -q "^error: $work/policy.conf: \[provider.slow\] issuer: " "$work/stderr.out" || fail "the silent provider is not reported"
grep -q "^FAIL: 2 provider(s) unreachable$" "$work/stdout.out" || fail "no summary"
grep -q "^OK: 0 error(s)" "$work/stdout.out" || fail "the configuration check did not run first"
# Both run at once, each within http_timeout (2 s): well under the sum of the timeouts.
[ "$took" -le 6 ] || fail "took $took s; the checks should run in parallel within http_timeout"

echo "2. all reachable: exit 0"
sed -i 's/^providers = .*/providers = good/; /^\[provider.down\]/,$d' "$work/policy.conf"
"$bin/signet-agent" --check-config --check-network "$work/policy.conf" >"$work/stdout.out" 2>"$work/stderr.out" || fail "exit $?, expected 0"
grep -q "^OK: 0 provider(s) unreachable$" "$work/stdout.out" || fail "no OK summary"

echo "3. --check-network alone is a usage error"
set +e
"$bin/signet-agent" --check-network >"$work/stdout.out" 2>"$work/stderr.out"; code=$?
set -e
[ "$code" -eq 2 ] || fail "exit $code, expected 2"
grep -q "goes with --check-config" "$work/stderr.out" || fail "no usage message"
echo "check_network: OK"
