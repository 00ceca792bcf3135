#!/usr/bin/env bash
# Install what the tests need, make sure PostgreSQL is up, and run the whole test suite.
# The tests start their own Mosquitto and VictoriaMetrics on free loopback ports.
# Extra arguments go to pytest, e.g. scripts/test.sh -k outbox
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
command -v victoria-metrics >/dev/null || [ -x /usr/bin/victoria-metrics ] || missing+=(victoria-metrics)
command -v pg_ctlcluster >/dev/null || missing+=(postgresql)
command -v docker-compose >/dev/null || missing+=(docker-compose)
# The dashboard's browser tests drive Debian's chromium with Playwright; it also prints
# the weekly report to PDF.
command -v chromium >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} (apt-get)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  say "starting PostgreSQL"
  for version in $(ls /etc/postgresql 2>/dev/null); do
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if [ -z "${SITLESS_TEST_POSTGRES:-}" ] \
   && ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  # No trust auth over TCP here: use a superuser role for this user over the socket.
  me=$(id -un)
  as_root su postgres -c "psql -Atc \"select 1 from pg_roles where rolname='$me'\" | grep -q 1 \
    || createuser -s '$me'" >/dev/null
  export SITLESS_TEST_POSTGRES="postgresql://$me@/postgres?host=/var/run/postgresql"
fi

say "installing sitless and its test dependencies (pip)"
python3 -m pip install -q --disable-pip-version-check -e ".[test]"

say "running the tests"
exec python3 -m pytest "$@"
