#!/usr/bin/env bash
# Install archive-repo with its test tools and run the whole test suite (what CI runs).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh" test
cd "$ROOT"
ruff check src tests tools benchmarks
python -m archive_repo.schemagen --check
# ClamAV (clamscan + clamd) for the virus-scan tests; they bring their own tiny signature database.
bash "$ROOT/scripts/clamav.sh"
# A throwaway PostgreSQL on 127.0.0.1 for the catalog tests (unless one is given), removed on exit.
if [ -z "${ARCHIVE_REPO_TEST_PG_URL:-}" ]; then
    ARCHIVE_REPO_PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/archive-repo-pg.XXXXXX")"
    export ARCHIVE_REPO_PG_DIR
    trap 'bash "$ROOT/scripts/postgres.sh" stop' EXIT
    ARCHIVE_REPO_TEST_PG_URL="$(bash "$ROOT/scripts/postgres.sh" start)"
    export ARCHIVE_REPO_TEST_PG_URL
fi
python -m pytest -q -n "${PYTEST_WORKERS:-2}" "$@"
