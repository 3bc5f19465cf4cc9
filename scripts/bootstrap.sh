#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment in .venv and install archive-repo into it.
# Usage: source scripts/bootstrap.sh [extra]   e.g. "test" installs the test tools too.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ARCHIVE_REPO_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
EXTRA="${1:-}"

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "archive-repo needs Python >= 3.11 (found: $("$PYTHON" --version 2>&1))" >&2
    exit 2
fi
if [ ! -x "$VENV/bin/python" ]; then
    if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
        # Debian's Python ships venv separately.
        if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
            apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
            rm -rf "$VENV"; "$PYTHON" -m venv "$VENV"
        else
            echo "python3 -m venv failed; install python3-venv (apt-get install python3-venv)" >&2
            exit 2
        fi
    fi
fi
# The handover record (PDF) needs a TrueType font with Vietnamese characters (see ingest/receipt.py).
if [ -z "${ARCHIVE_REPO_FONT:-}" ] \
    && [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] \
    && [ ! -f /usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf ] \
    && [ ! -f /usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf ] \
    && [ ! -f /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf ]; then
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        { apt-get update -qq && apt-get install -y -qq --no-install-recommends fonts-dejavu-core >/dev/null; } \
            || echo "could not install fonts-dejavu-core; the handover record PDF needs it" >&2
    else
        echo "no font with Vietnamese characters for the handover record PDF; install one" \
            "(apt-get install fonts-dejavu-core) or set ARCHIVE_REPO_FONT to a .ttf file" >&2
    fi
fi
# Copies for researchers (TT05 art. 40-41) print "BẢN SAO" in Times New Roman or its metric twin,
# Liberation Serif (see access/fonts.py).
if [ -z "${ARCHIVE_REPO_SERIF_FONT:-}" ] \
    && [ ! -f /usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf ] \
    && [ ! -f /usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf ] \
    && [ ! -f /usr/share/fonts/truetype/msttcorefonts/Times_New_Roman.ttf ]; then
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        { apt-get update -qq && apt-get install -y -qq --no-install-recommends fonts-liberation2 >/dev/null; } \
            || echo "could not install fonts-liberation2; copies for researchers need it" >&2
    else
        echo "no Times New Roman / Liberation Serif font for researchers' copies; install one" \
            "(apt-get install fonts-liberation2) or set ARCHIVE_REPO_SERIF_FONT to a .ttf file" >&2
    fi
fi
"$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
if [ -n "$EXTRA" ]; then
    "$VENV/bin/python" -m pip install -q -e "$ROOT[$EXTRA]"
else
    "$VENV/bin/python" -m pip install -q -e "$ROOT"
fi
export PATH="$VENV/bin:$PATH"
