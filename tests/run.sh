#!/usr/bin/env bash
# Run every test on SQLite, then again on PostgreSQL when one is reachable
# (TEST_DATABASE_URL, or the server on 127.0.0.1:5432 that this project's machines run).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

bash tests/e2e/ensure_chromium.sh
bash tests/ensure_vnu.sh >/dev/null

echo "== Tests on SQLite =="
$PY -m pytest -n 2 "$@"

pg_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
if $PY - "$pg_url" <<'PYEOF'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1].replace("postgres://", "postgresql://"), connect_timeout=3).close()
except Exception as error:
    print(f"PostgreSQL not reachable: {error}")
    sys.exit(1)
PYEOF
then
  echo "== Tests on PostgreSQL ($pg_url) =="
  DATABASE_URL="$pg_url" $PY -m pytest -n 2 "$@"
elif [ -n "${REQUIRE_POSTGRES:-}" ] || [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "PostgreSQL is required here but could not be reached." >&2
  exit 1
else
  echo "NOTE: ran on SQLite only (no PostgreSQL server answered on 127.0.0.1:5432)."
fi
