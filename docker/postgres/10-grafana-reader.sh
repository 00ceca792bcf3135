#!/bin/bash
# Runs once, when the PostgreSQL volume is first made: a read-only role for Grafana.
# The service creates its tables later (migrations), so SELECT is granted by default on
# every table the sitless role makes in schema public.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v password="$GRAFANA_DB_PASSWORD" <<'SQL'
CREATE ROLE grafana LOGIN PASSWORD :'password';
GRANT CONNECT ON DATABASE sitless TO grafana;
GRANT USAGE ON SCHEMA public TO grafana;
ALTER DEFAULT PRIVILEGES FOR ROLE sitless IN SCHEMA public GRANT SELECT ON TABLES TO grafana;
SQL
