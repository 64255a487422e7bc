#!/usr/bin/env bash
# Installs Snyk Agent Scan (a peer scanner, used only by `npm run bench -- cli` for a side-by-side
# figure; never by the product or the tests) into .venv-snyk from PyPI. Pinned: the figures compare
# against one known version.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="${SNYK_VENV:-$ROOT/.venv-snyk}"
VERSION="0.6.9"
# grep reads all of pip's output (grep -q exits at the match; pip then dies of SIGPIPE and, with
# pipefail, an installed peer looked missing now and then).
if [ -x "$VENV/bin/snyk-agent-scan" ] && "$VENV/bin/pip" show snyk-agent-scan 2>/dev/null | grep "^Version: $VERSION$" >/dev/null; then
  echo "$VENV/bin/snyk-agent-scan"
  exit 0
fi
PY="$(command -v python3.11 || command -v python3 || true)"
[ -n "$PY" ] || { echo "no python3 to install snyk-agent-scan with" >&2; exit 3; }
"$PY" -m venv "$VENV" >&2
"$VENV/bin/pip" install -q "snyk-agent-scan==$VERSION" >&2
echo "$VENV/bin/snyk-agent-scan"
