# Sourced by scripts/demo and scripts/test: a virtualenv in .venv with the pinned requirements.
# Installs only when a requirements file changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"

ensure_venv() {
  local requirements="$1"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "== creating the virtualenv in .venv"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
  fi
  local stamp="$VENV/.installed-$(basename "$requirements")"
  local digest
  digest="$(cat "$ROOT/requirements.txt" "$ROOT/$requirements" "$ROOT/requirements.lock" | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    echo "== installing $requirements"
    # the lock as constraints: exactly the versions CI tested, whatever the registry serves today
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/$requirements" \
      -c "$ROOT/requirements.lock"
    echo "$digest" > "$stamp"
  fi
}
