#!/usr/bin/env bash
# Install archive-repo with its test tools and run the whole test suite (what CI runs).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh" test
cd "$ROOT"
ruff check src tests tools benchmarks
python -m archive_repo.schemagen --check
# poppler-utils: the access tests render copies (pdftoppm) and read their text positions (pdftotext -bbox).
if ! command -v pdftoppm >/dev/null || ! command -v pdftotext >/dev/null; then
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq --no-install-recommends poppler-utils >/dev/null
    else
        echo "the access tests need poppler-utils (pdftoppm, pdftotext): apt-get install poppler-utils" >&2
        exit 2
    fi
fi
# ClamAV (clamscan + clamd) for the virus-scan tests; they bring their own tiny signature database.
bash "$ROOT/scripts/clamav.sh"
# Debian's chromium + chromium-driver for the portal's end-to-end browser tests (tests/browser.py).
bash "$ROOT/scripts/browser.sh"
# A throwaway PostgreSQL on 127.0.0.1 for the catalog tests (unless one is given), removed on exit.
if [ -z "${ARCHIVE_REPO_TEST_PG_URL:-}" ]; then
    ARCHIVE_REPO_PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/archive-repo-pg.XXXXXX")"
    export ARCHIVE_REPO_PG_DIR
    trap 'bash "$ROOT/scripts/postgres.sh" stop' EXIT
    ARCHIVE_REPO_TEST_PG_URL="$(bash "$ROOT/scripts/postgres.sh" start)"
    export ARCHIVE_REPO_TEST_PG_URL
fi
python -m pytest -q -n "${PYTEST_WORKERS:-2}" "$@"
