#!/usr/bin/env bash
# The whole test suite, on SQLite and on a throwaway PostgreSQL started here.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh
trap pg_stop EXIT
echo "PostgreSQL for the tests: $KINFOLD_TEST_POSTGRES_URL"
.venv/bin/pytest "$@"
