#!/usr/bin/env bash
# Install archive-repo with its test tools and run the whole test suite (what CI runs).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh" test
cd "$ROOT"
ruff check src tests tools benchmarks
python -m archive_repo.schemagen --check
python -m pytest -q -n "${PYTEST_WORKERS:-2}" "$@"
