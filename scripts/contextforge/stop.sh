#!/usr/bin/env bash
# Stops the gateway started by start.sh (and the upstream the seeder started) and removes its temp dir.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
STATE_DIR="${CONTEXTFORGE_STATE_DIR:-$ROOT/.state/contextforge}"
STATE_FILE="$STATE_DIR/state.json"
# A start that was interrupted before it wrote the state file leaves only starting.pid.
if [ -f "$STATE_DIR/starting.pid" ]; then
  read -r SPID SRUN <"$STATE_DIR/starting.pid" || true
  if [ -n "${SPID:-}" ] && kill -0 "$SPID" 2>/dev/null; then
    kill "$SPID" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$SPID" 2>/dev/null || true
  fi
  case "${SRUN:-}" in */contextforge.*) rm -rf "$SRUN" ;; esac
  rm -f "$STATE_DIR/starting.pid"
fi
[ -f "$STATE_FILE" ] || { echo "no contextforge state at $STATE_FILE; nothing to stop"; exit 0; }
field() { node -e "const s=JSON.parse(require('fs').readFileSync(process.argv[1],'utf8')); const v=s[process.argv[2]]; if (v!==undefined) console.log(v)" "$STATE_FILE" "$1"; }
for key in upstreamPid pid; do
  P="$(field "$key" || true)"
  if [ -n "$P" ] && kill -0 "$P" 2>/dev/null; then
    kill "$P" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$P" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$P" 2>/dev/null || true
  fi
done
RUN_DIR="$(field runDir || true)"
case "$RUN_DIR" in */contextforge.*) rm -rf "$RUN_DIR" ;; esac
rm -f "$STATE_FILE" "$STATE_DIR/seed.json"
echo "contextforge stopped"
