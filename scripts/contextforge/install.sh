#!/usr/bin/env bash
# Installs IBM ContextForge (mcp-contextforge-gateway) into a local venv. Idempotent.
# Python here is 3.11: releases after 1.0.7 need >=3.12, so the version is pinned.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="${CONTEXTFORGE_VENV:-$ROOT/.venv-contextforge}"
VERSION="${CONTEXTFORGE_VERSION:-1.0.7}"
PYTHON="${CONTEXTFORGE_PYTHON:-$(command -v python3.11 || command -v python3)}"

if [ -x "$VENV/bin/mcpgateway" ] && "$VENV/bin/python" -c "import importlib.metadata as m,sys; sys.exit(0 if m.version('mcp-contextforge-gateway')=='$VERSION' else 1)" 2>/dev/null; then
  echo "contextforge $VERSION already installed in $VENV"
  exit 0
fi
[ -d "$VENV" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "mcp-contextforge-gateway==$VERSION"
echo "contextforge $VERSION installed in $VENV"
