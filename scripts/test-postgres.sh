#!/usr/bin/env bash
# A throw-away PostgreSQL server for the test suite.
#   scripts/test-postgres.sh start   installs Debian's postgresql when missing, starts a private cluster on
#                                    127.0.0.1 with TLS (a throw-away CA) and writes
#                                    SIGNING_GATEWAY_TEST_POSTGRES_URL=… and …_CA=… to .build-pg/env
#   scripts/test-postgres.sh stop    stops it and removes its directory
#   scripts/test-postgres.sh pause   stops the server (fast shutdown: every connection ended), keeps the cluster
#   scripts/test-postgres.sh resume  starts it again, on the same port with the same settings
# Environment: TEST_POSTGRES_PORT (first port tried, default 55432), TEST_POSTGRES_FSYNC (on|off, default off:
# the tests check logic, not the disk; the benchmarks set on, PostgreSQL's default), TEST_POSTGRES_STATE (where the
# env file goes, default .build-pg; the benchmarks use their own, so they never stop the test suite's server).
# Run as root (it creates the cluster as the `postgres` user). Safe to call `stop` when nothing runs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${TEST_POSTGRES_STATE:-$ROOT/.build-pg}"
FSYNC="${TEST_POSTGRES_FSYNC:-off}"
case "$FSYNC" in on|off) ;; *) echo "test-postgres: TEST_POSTGRES_FSYNC must be on or off" >&2; exit 2 ;; esac
PORT_FIRST="${TEST_POSTGRES_PORT:-55432}"
DB=signing_gateway_test

pg_bin() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

install_postgres() {
    if [ -z "$(pg_bin)" ]; then
        echo "test-postgres: installing postgresql (apt-get)" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    [ -n "$(pg_bin)" ] || { echo "test-postgres: postgresql binaries not found after install" >&2; exit 1; }
}

port_free() {
    # Nothing answers on the port (bash's /dev/tcp connect fails).
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

stop() {
    [ -f "$STATE/dir" ] || { rm -rf "$STATE"; return 0; }
    local dir bin
    dir="$(cat "$STATE/dir")"
    bin="$(pg_bin || true)"
    if [ -n "$bin" ] && [ -d "$dir/data" ]; then
        runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir" "$STATE"
    echo "test-postgres: stopped" >&2
}

# pg_ctl start with the cluster's options, then wait until it accepts connections.
server_start() {
    local bin="$1" dir="$2" port
    port="$(cat "$dir/port")"
    runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$(cat "$dir/options")" \
        start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    for _ in $(seq 1 60); do
        "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" && break
        sleep 0.5
    done
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" || { cat "$dir/server.log" >&2; exit 1; }
}

pause() {
    runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$(cat "$STATE/dir")/data" -m fast -w stop >/dev/null
}

resume() {
    server_start "$(pg_bin)" "$(cat "$STATE/dir")"
}

start() {
    install_postgres
    stop  # a cluster left over from an interrupted run
    local bin dir port
    bin="$(pg_bin)"
    dir="$(mktemp -d /tmp/signing-gateway-pg.XXXXXX)"
    mkdir -p "$STATE"
    echo "$dir" >"$STATE/dir"
    chown postgres:postgres "$dir"
    chmod 700 "$dir"
    runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }

    # TLS on, with a throw-away CA: the store's sslmode handling (prefer, require, verify-ca, verify-full with
    # a CA file) is tested against a real server.
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=signing-gateway test CA" \
        -keyout "$dir/ca.key" -out "$dir/ca.crt" >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$dir/server.key" -out "$dir/server.csr" \
        >/dev/null 2>&1
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$dir/san.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
        -extfile "$dir/san.ext" -out "$dir/server.crt" >/dev/null 2>&1
    chown postgres:postgres "$dir/server.key" "$dir/server.crt"
    chmod 600 "$dir/server.key"
    chmod 644 "$dir/ca.crt"

    port="$PORT_FIRST"
    while ! port_free "$port"; do port=$((port + 1)); done
    # fsync off by default: the cluster is thrown away after the run, and the tests check logic, not the disk.
    # The benchmarks ask for on (TEST_POSTGRES_FSYNC=on), the server's default, so their figures are durable ones.
    echo "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=$FSYNC -c max_connections=300 -c ssl=on -c ssl_cert_file=$dir/server.crt -c ssl_key_file=$dir/server.key" >"$dir/options"
    echo "$port" >"$dir/port"
    server_start "$bin" "$dir"
    runuser -u postgres -- "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$DB"

    {
        echo "SIGNING_GATEWAY_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/$DB"
        echo "SIGNING_GATEWAY_TEST_POSTGRES_CA=$dir/ca.crt"
    } | tee "$STATE/env"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    pause) pause ;;
    resume) resume ;;
    *) echo "usage: $0 start|stop|pause|resume" >&2; exit 2 ;;
esac
