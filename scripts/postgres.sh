#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, on 127.0.0.1 only, in a temporary folder.
#
#   scripts/postgres.sh start   install PostgreSQL if needed (Debian/Ubuntu apt-get, as root), create a
#                               cluster, start it on a free port, create a database; print its SQLAlchemy URL
#   scripts/postgres.sh url     print the URL of the running server
#   scripts/postgres.sh stop    stop the server and delete its folder
#
# The folder is $ARCHIVE_REPO_PG_DIR (default: one per checkout and user under ${TMPDIR:-/tmp});
# scripts/test.sh gives each run its own. Running start twice reuses the running server. As root, the
# server runs as the 'postgres' user (or 'archive_repo_test', created if needed): PostgreSQL refuses root.
# The superuser 'archive_repo' has a random password; the server accepts TCP connections from 127.0.0.1 only.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${ARCHIVE_REPO_PG_DIR:-${TMPDIR:-/tmp}/archive-repo-pg-$(id -u)-$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)}"
DATA="$DIR/data"
DB_NAME=archive_repo_test
DB_USER=archive_repo

say() { echo "postgres.sh: $*" >&2; }

find_bindir() {
    local candidate
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do
        if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then
            echo "$candidate"
            return 0
        fi
    done
    if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        dirname "$(command -v initdb)"
        return 0
    fi
    return 1
}

install_postgresql() {
    if ! command -v apt-get >/dev/null; then
        say "PostgreSQL (initdb, pg_ctl) not found and apt-get is not available: install PostgreSQL >= 13."
        exit 2
    fi
    if [ "$(id -u)" != 0 ]; then
        say "PostgreSQL (initdb, pg_ctl) not found: run as root, or: sudo apt-get install postgresql"
        exit 2
    fi
    say "installing PostgreSQL with apt-get ..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
}

# The account the server runs as, and a way to run commands as it.
server_user() {
    if [ "$(id -u)" != 0 ]; then
        id -un
    elif id postgres >/dev/null 2>&1; then
        echo postgres
    else
        id archive_repo_test >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin \
            archive_repo_test
        echo archive_repo_test
    fi
}

as_server() {
    local user
    user="$(server_user)"
    if [ "$(id -u)" = 0 ]; then
        (cd / && runuser -u "$user" -- "$@")
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

running() {
    [ -f "$DIR/url" ] && [ -f "$DATA/postmaster.pid" ] && as_server "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

start() {
    if running; then
        cat "$DIR/url"
        return 0
    fi
    # A folder left by a crashed run: clear it (only ever our own throwaway folder).
    if [ -d "$DATA" ]; then
        as_server "$BINDIR/pg_ctl" -D "$DATA" stop -m immediate >/dev/null 2>&1 || true
        rm -rf "$DATA"
    fi
    mkdir -p "$DIR"
    chmod 700 "$DIR"
    local user password port attempt
    user="$(server_user)"
    [ "$(id -u)" = 0 ] && chown "$user" "$DIR"
    password="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
    (umask 077 && printf '%s\n' "$password" >"$DIR/pwfile")
    [ "$(id -u)" = 0 ] && chown "$user" "$DIR/pwfile"
    as_server "$BINDIR/initdb" -D "$DATA" -U "$DB_USER" --pwfile="$DIR/pwfile" --auth=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
        || as_server "$BINDIR/initdb" -D "$DATA" -U "$DB_USER" --pwfile="$DIR/pwfile" \
            --auth=scram-sha-256 -E UTF8 --locale=C >"$DIR/initdb.log" 2>&1 \
        || { cat "$DIR/initdb.log" >&2; exit 2; }
    rm -f "$DIR/pwfile"
    # Throwaway data: durability settings off for speed; sockets only in our own folder.
    for attempt in 1 2 3 4 5; do
        port="$(free_port)"
        if as_server "$BINDIR/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $DIR -c fsync=off -c synchronous_commit=off \
                -c full_page_writes=off -c max_connections=100" start >/dev/null 2>&1; then
            break
        fi
        if [ "$attempt" = 5 ]; then
            say "the server did not start; its log:"
            cat "$DIR/server.log" >&2 || true
            exit 2
        fi
    done
    PGPASSWORD="$password" "$BINDIR/psql" -X -q -h 127.0.0.1 -p "$port" -U "$DB_USER" -d postgres \
        -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DB_NAME" >&2
    (umask 077 && echo "postgresql+psycopg://$DB_USER:$password@127.0.0.1:$port/$DB_NAME" >"$DIR/url")
    cat "$DIR/url"
}

stop() {
    if [ -d "$DATA" ]; then
        as_server "$BINDIR/pg_ctl" -D "$DATA" stop -m fast -w >/dev/null 2>&1 \
            || as_server "$BINDIR/pg_ctl" -D "$DATA" stop -m immediate >/dev/null 2>&1 || true
    fi
    rm -rf "$DIR"
}

case "${1:-}" in
start)
    BINDIR="$(find_bindir)" || { install_postgresql; BINDIR="$(find_bindir)"; }
    start
    ;;
url)
    if [ -f "$DIR/url" ]; then cat "$DIR/url"; else say "not running ($DIR)"; exit 1; fi
    ;;
stop)
    BINDIR="$(find_bindir)" || { rm -rf "$DIR"; exit 0; }
    stop
    ;;
*)
    echo "usage: $0 start|url|stop" >&2
    exit 2
    ;;
esac
