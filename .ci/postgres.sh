#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, on 127.0.0.1 only.
#
#   source .ci/postgres.sh    start it, export SURVEY_TEST_POSTGRES_URL, stop and delete it on exit
#   bash .ci/postgres.sh      start it and leave it running; prints the URL and the command to stop it
#
# The cluster lives in a temporary folder owned by `postgres` (initdb refuses to run as root), with
# trust authentication, its socket in that folder, fsync off (nothing here needs to survive a crash
# of the machine), on the first free port from 54329. The database is `tanfang_test`. PostgreSQL is
# installed from Debian's packages only when no initdb is found.

_pg_main() {
    local bindir="" candidate
    # initdb on PATH may be a lone symlink (Debian's wrappers): take the folder it really lives in.
    for candidate in "$(dirname "$(readlink -f "$(command -v initdb || echo /nonexistent/x)")")" \
        /usr/lib/postgresql/*/bin; do
        if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ] && [ -x "$candidate/createdb" ]; then
            bindir=$candidate
            break
        fi
    done
    if [ -z "$bindir" ]; then
        echo "== postgres: no initdb found; installing Debian's postgresql" >&2
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
        for candidate in /usr/lib/postgresql/*/bin; do
            if [ -x "$candidate/initdb" ]; then bindir=$candidate; fi
        done
        [ -n "$bindir" ] || { echo "== postgres: install found no initdb" >&2; return 1; }
    fi

    # Run the server's commands as `postgres` when we are root; as ourselves otherwise.
    _PG_AS=()
    if [ "$(id -u)" = 0 ]; then
        id -u postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
        _PG_AS=(runuser -u postgres --)
    fi

    local port=54329
    while ! python3 - "$port" <<'EOF'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
    do
        port=$((port + 1))
        [ "$port" -lt 54429 ] || { echo "== postgres: no free port in 54329-54428" >&2; return 1; }
    done

    _PG_DIR=$(mktemp -d /tmp/tanfang-pg.XXXXXX)
    chmod 755 "$_PG_DIR"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$_PG_DIR"; fi
    _PG_CTL="$bindir/pg_ctl"
    "${_PG_AS[@]}" "$bindir/initdb" -D "$_PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
        >"$_PG_DIR/initdb.log" 2>&1 \
        || { cat "$_PG_DIR/initdb.log" >&2; return 1; }
    "${_PG_AS[@]}" "$_PG_CTL" -D "$_PG_DIR/data" -l "$_PG_DIR/server.log" -w -t 60 start -o \
        "-c listen_addresses=127.0.0.1 -p $port -k $_PG_DIR -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=200" >/dev/null \
        || { cat "$_PG_DIR/server.log" >&2; return 1; }
    "${_PG_AS[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres tanfang_test \
        || { cat "$_PG_DIR/server.log" >&2; _pg_stop; return 1; }
    export SURVEY_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$port/tanfang_test"
    echo "== postgres: $("$bindir/postgres" --version) at $SURVEY_TEST_POSTGRES_URL (data in $_PG_DIR)" >&2
}

_pg_stop() {
    if [ -n "${_PG_DIR:-}" ] && [ -d "$_PG_DIR/data" ]; then
        "${_PG_AS[@]}" "$_PG_CTL" -D "$_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$_PG_DIR"
    fi
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then  # sourced: stop the cluster when the sourcing shell exits
    _pg_main || return 1
    trap _pg_stop EXIT
else
    set -euo pipefail
    _pg_main
    echo "$SURVEY_TEST_POSTGRES_URL"
    stop="$_PG_CTL -D $_PG_DIR/data -m fast stop && rm -rf $_PG_DIR"
    if [ "$(id -u)" = 0 ]; then stop="runuser -u postgres -- $stop"; fi
    echo "== postgres: left running; stop it with: $stop" >&2
fi
