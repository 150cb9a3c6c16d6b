# Shared set-up for scripts/demo and scripts/test: a Python >= 3.11 virtual environment in .venv
# with shuixiao installed (editable), re-installed only when pyproject.toml changes.
# Usage: source scripts/_env.sh [EXTRAS]   e.g. "dev"
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  echo "shuixiao needs Python 3.11 or newer: install it (Debian: apt-get install python3 python3-venv) or set PYTHON=/path/to/python3.11" >&2
  return 1
}

extras="${1:-}"
if [ ! -x .venv/bin/python ]; then
  py="$(find_python)"
  echo "==> creating .venv with $py"
  if ! "$py" -m venv .venv 2>/dev/null; then
    echo "==> python venv module missing; installing python3-venv" >&2
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
      "$py" -m venv .venv
    else
      echo "install the venv module (Debian: sudo apt-get install python3-venv) and run again" >&2; exit 1
    fi
  fi
fi
stamp=".venv/.shuixiao-installed${extras:+-$extras}"
want="$(cat pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> installing shuixiao${extras:+[$extras]} into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}"
  echo "$want" > "$stamp"
fi
export PATH="$ROOT/.venv/bin:$PATH"
