#!/usr/bin/env bash
# The whole test suite, twice at once against a throwaway PostgreSQL started here: once
# with workspaces in SQLite files (and the store tests on both databases), once with
# every workspace in PostgreSQL (KINFOLD_TEST_DATABASE=postgresql; see tests/conftest.py).
# Arguments go to both runs of pytest (say, a test file).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh
logs=$(mktemp -d /tmp/kinfold-tests.XXXXXX)
trap 'pg_stop; rm -rf "$logs"' EXIT
echo "PostgreSQL for the tests: $KINFOLD_TEST_POSTGRES_URL"
.venv/bin/pytest "$@" >"$logs/sqlite.txt" 2>&1 &
sqlite=$!
KINFOLD_TEST_DATABASE=postgresql .venv/bin/pytest "$@" >"$logs/postgresql.txt" 2>&1 &
postgresql=$!
status=0
wait $sqlite || status=1
echo "=== Workspaces in SQLite (the store tests on SQLite and PostgreSQL) ==="
cat "$logs/sqlite.txt"
wait $postgresql || status=1
echo "=== Every workspace in PostgreSQL ==="
cat "$logs/postgresql.txt"
exit $status
