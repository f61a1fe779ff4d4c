#!/usr/bin/env bash
# Bring up a local PostgreSQL for the server tests (Debian 12, run as root). Idempotent.
#
# Progress goes to stderr; the last line on stdout is the export to use:
#   eval "$(bash .ci/postgres.sh)"
# The tests read PISHKHAN_TEST_PG_URL; with CI=true they fail without it.
set -euo pipefail

PG_VERSION=15
PG_CLUSTER=main
PG_ROLE=pishkhan
PG_PASSWORD=pishkhan-test
PG_DB=pishkhan_test
PG_PORT=5432

log() { echo "postgres.sh: $*" >&2; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ ! -x "/usr/lib/postgresql/${PG_VERSION}/bin/postgres" ]; then
    log "installing postgresql"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q postgresql >&2
fi

if [ ! -d "/etc/postgresql/${PG_VERSION}/${PG_CLUSTER}" ]; then
    log "creating cluster ${PG_VERSION}/${PG_CLUSTER}"
    pg_createcluster "${PG_VERSION}" "${PG_CLUSTER}" --port "${PG_PORT}" >&2
fi

if ! pg_ctlcluster "${PG_VERSION}" "${PG_CLUSTER}" status >/dev/null 2>&1; then
    log "starting cluster ${PG_VERSION}/${PG_CLUSTER}"
    pg_ctlcluster "${PG_VERSION}" "${PG_CLUSTER}" start >&2
fi

# Wait until the server accepts connections (start returns before that on a slow machine).
for _ in $(seq 1 60); do
    if runuser -u postgres -- pg_isready -q -h 127.0.0.1 -p "${PG_PORT}"; then
        break
    fi
    sleep 0.5
done
runuser -u postgres -- pg_isready -h 127.0.0.1 -p "${PG_PORT}" >&2

psql_admin() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA -p "${PG_PORT}" "$@"; }

if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '${PG_ROLE}'")" != "1" ]; then
    log "creating role ${PG_ROLE}"
    psql_admin -c "CREATE ROLE ${PG_ROLE} LOGIN PASSWORD '${PG_PASSWORD}'" >&2
else
    psql_admin -c "ALTER ROLE ${PG_ROLE} LOGIN PASSWORD '${PG_PASSWORD}'" >&2
fi

if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '${PG_DB}'")" != "1" ]; then
    log "creating database ${PG_DB}"
    psql_admin -c "CREATE DATABASE ${PG_DB} OWNER ${PG_ROLE} ENCODING 'UTF8' TEMPLATE template0" >&2
fi
# The tests make and drop a schema each: the role must own the database.
psql_admin -c "ALTER DATABASE ${PG_DB} OWNER TO ${PG_ROLE}" >&2

echo "export PISHKHAN_TEST_PG_URL=postgresql+psycopg://${PG_ROLE}:${PG_PASSWORD}@127.0.0.1:${PG_PORT}/${PG_DB}"
