#!/usr/bin/env bash
# Idempotent set-up shared by scripts/run-app and scripts/test:
# Debian packages (when missing), a virtualenv at .venv, pinned Python dependencies,
# and the project itself installed in editable mode (this is what puts `secondlook` in .venv/bin).
set -euo pipefail
cd "$(dirname "$0")/.."

want_apt="${1:-app}"   # "app": what the app needs; "test": everything the tests need too

# python3-uno: LibreOffice's uno module for the warm converter (unoserver runs under /usr/bin/python3).
# poppler-utils and tesseract-ocr (+ English data; it pulls in tesseract-ocr-osd): the denial-notice
# reader (secondlook/notices), which the app uses.
apt_packages=(libreoffice-writer-nogui python3-uno fonts-dejavu fonts-crosextra-carlito poppler-utils
  tesseract-ocr tesseract-ocr-eng)
if [[ "$want_apt" == "test" ]]; then
  apt_packages+=(chromium postgresql)
  # npm for axe-core below, unless a Node.js with its own npm is installed already.
  command -v npm >/dev/null || apt_packages+=(npm)
fi

missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi

# Reinstall only when the lock or the project metadata changed.
stamp=.venv/.secondlook-installed
want="$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "setup: installing pinned Python dependencies"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.lock
  .venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .
  echo "$want" > "$stamp"
fi

# axe-core (npm, pinned) for the accessibility checks of the browser tests, in .venv/axe.
AXE_VERSION=4.14.1
if [[ "$want_apt" == "test" && "$(cat .venv/axe/.version 2>/dev/null)" != "$AXE_VERSION" ]]; then
  echo "setup: installing axe-core $AXE_VERSION"
  mkdir -p .venv/axe
  npm install --silent --no-audit --no-fund --prefix .venv/axe "axe-core@$AXE_VERSION" >/dev/null
  echo "$AXE_VERSION" > .venv/axe/.version
fi
