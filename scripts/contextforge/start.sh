#!/usr/bin/env bash
# Starts a throw-away ContextForge gateway on 127.0.0.1 with a temporary SQLite database and test
# credentials, waits until it is healthy, and writes its state (base URL, admin token, pid, dirs) to
# a JSON state file (default: $ROOT/.state/contextforge/state.json). Prints the state file path.
# Outbound features (catalog health checks, observability export, SSO, LLM chat, A2A, federation
# refresh) are off; only loopback upstreams are allowed.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="${CONTEXTFORGE_VENV:-$ROOT/.venv-contextforge}"
STATE_DIR="${CONTEXTFORGE_STATE_DIR:-$ROOT/.state/contextforge}"
STATE_FILE="$STATE_DIR/state.json"
PORT="${CONTEXTFORGE_PORT:-}"

if [ ! -x "$VENV/bin/mcpgateway" ]; then
  echo "contextforge is not installed ($VENV/bin/mcpgateway missing); run scripts/contextforge/install.sh" >&2
  exit 3
fi
mkdir -p "$STATE_DIR"
if [ -f "$STATE_FILE" ]; then
  OLD_PID="$("$VENV/bin/python" -c "import json,sys; print(json.load(open(sys.argv[1]))['pid'])" "$STATE_FILE" 2>/dev/null || true)"
  if [ -n "$OLD_PID" ] && kill -0 "$OLD_PID" 2>/dev/null; then
    echo "contextforge already running (pid $OLD_PID); state in $STATE_FILE" >&2
    echo "$STATE_FILE"
    exit 0
  fi
fi
if [ -z "$PORT" ]; then
  PORT="$("$VENV/bin/python" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1]); s.close()")"
fi
RUN_DIR="$(mktemp -d "${TMPDIR:-/tmp}/contextforge.XXXXXX")"
rand() { "$VENV/bin/python" -c "import secrets; print(secrets.token_urlsafe(48))"; }
export JWT_SECRET_KEY="$(rand)"
export AUTH_ENCRYPTION_SECRET="$(rand)"
export BASIC_AUTH_USER=admin
export BASIC_AUTH_PASSWORD="$(rand)"
export PLATFORM_ADMIN_EMAIL=admin@example.com
export PLATFORM_ADMIN_PASSWORD="Aa1!$(rand)"
export PLATFORM_ADMIN_FULL_NAME="Gatehouse CI admin"
export DATABASE_URL="sqlite:///$RUN_DIR/mcp.db"
export HOST=127.0.0.1 PORT="$PORT" MCG_HOST=127.0.0.1 MCG_PORT="$PORT"
export MCPGATEWAY_ADMIN_API_ENABLED=true MCPGATEWAY_UI_ENABLED=false
export AUTH_REQUIRED=true EMAIL_AUTH_ENABLED=true
export SSRF_ALLOW_LOCALHOST=true
export AUDIT_TRAIL_ENABLED=true SECURITY_LOGGING_ENABLED=true
export CACHE_TYPE=database
export MCPGATEWAY_CATALOG_ENABLED=false MCPGATEWAY_CATALOG_AUTO_HEALTH_CHECK=false
export MCPGATEWAY_A2A_ENABLED=false LLMCHAT_ENABLED=false OBSERVABILITY_ENABLED=false OTEL_ENABLE_OBSERVABILITY=false
export PLUGINS_ENABLED=false SSO_ENABLED="${SSO_ENABLED:-false}" DCR_ENABLED=false OAUTH_DISCOVERY_ENABLED=false SMTP_ENABLED=false
export AUTO_REFRESH_SERVERS=false MCPGATEWAY_UI_AIRGAPPED=true
export ENVIRONMENT=development DEV_MODE=false LOG_LEVEL="${CONTEXTFORGE_LOG_LEVEL:-WARNING}"
export LOG_TO_FILE=false
export MCPGATEWAY_BOOTSTRAP_ROLES_IN_DB_ENABLED=false
# Test fixture: let the seeder create a token without expiry so scope.token-no-expiry has a real subject.
export REQUIRE_TOKEN_EXPIRATION=false

cd "$RUN_DIR"
nohup "$VENV/bin/mcpgateway" --host 127.0.0.1 --port "$PORT" >"$RUN_DIR/gateway.log" 2>&1 &
PID=$!
# Written before the health wait: if this script is killed while the gateway starts (a caller's
# timeout on a loaded machine), stop.sh can still find and stop the gateway.
echo "$PID $RUN_DIR" >"$STATE_DIR/starting.pid"
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 180); do
  if ! kill -0 "$PID" 2>/dev/null; then
    echo "contextforge exited during start-up; last log lines:" >&2
    tail -n 40 "$RUN_DIR/gateway.log" >&2
    exit 4
  fi
  if "$VENV/bin/python" -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=2).status==200 else 1)" "$BASE/health" 2>/dev/null; then
    break
  fi
  sleep 1
done
if ! "$VENV/bin/python" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "$BASE/health" 2>/dev/null; then
  echo "contextforge did not become healthy on $BASE within 180s" >&2
  kill "$PID" 2>/dev/null || true
  tail -n 40 "$RUN_DIR/gateway.log" >&2
  exit 4
fi
ADMIN_TOKEN="$("$VENV/bin/python" -m mcpgateway.utils.create_jwt_token --username "$PLATFORM_ADMIN_EMAIL" --exp 240 --secret "$JWT_SECRET_KEY" --admin 2>/dev/null | tail -n 1)"
umask 077
"$VENV/bin/python" - "$STATE_FILE" <<PY
import json, sys
json.dump({
  "kind": "contextforge",
  "baseUrl": "$BASE",
  "pid": $PID,
  "runDir": "$RUN_DIR",
  "adminEmail": "$PLATFORM_ADMIN_EMAIL",
  "adminToken": "$ADMIN_TOKEN",
  "jwtSecret": "$JWT_SECRET_KEY",
}, open(sys.argv[1], "w"), indent=2)
PY
rm -f "$STATE_DIR/starting.pid"
echo "$STATE_FILE"
