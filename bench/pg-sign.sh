#!/usr/bin/env bash
# `make bench-pg`: only issue 18's PostgreSQL figure, faster than `make bench` and repeated: the closed-loop sign
# path (wrk -t$THREADS -c$CONNECTIONS -d$DURATION, POST /v1/signatures parallel, a fresh Idempotency-Key each, over
# SIGN_INSTANCES instances) of the SQLite gateway and of a PostgreSQL gateway (a private cluster with fsync=on,
# PostgreSQL's default), back to back, ROUNDS times (alternating, so a burst of load beside the benchmark hits both
# sides alike). Prints each round's ratio and the median, and what the PostgreSQL backends wait on (sampled as in
# bench/run.sh). Knobs: DURATION, CONNECTIONS, THREADS, SIGN_INSTANCES, ROUNDS (3), BENCH_POSTGRES_PORT (55440),
# BIN (an existing build), KEEP=1, BENCH_PG_SSLMODE (the gateway's sslmode, e.g. disable; by default TLS, which
# the cluster offers).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
SIGN_INSTANCES=${SIGN_INSTANCES:-512}
ROUNDS=${ROUNDS:-3}
. bench/lib.sh

bench_need wrk curl
[ -z "$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null)" ] && bench_need postgresql
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ -z "${BIN:-}" ]; then
  swift build -c release --product signing-gateway >/dev/null
  BIN=.build/release/signing-gateway
fi
WORK=$(mktemp -d /tmp/sg-bench-pg.XXXXXX)
export RESULTS="$WORK/results.json"
SIM=$(free_port); GW=$(free_port); GWP=$(free_port)
pids=()
PG_STATE="$PWD/.build-pg-bench"
pg_started=""
trap bench_cleanup EXIT
report() { python3 bench/report.py "$@"; }

start_simulator "$SIM" "$WORK"
start_sqlite_gateway "$GW"
KEY=$(cat "$WORK/dev-client.key")
prepare_postgres_gateway "$PG_STATE" "$GWP"
"$BIN" serve --config "$WORK/gwp.json" >"$WORK/gwp.log" 2>&1 & pids+=($!)
GWP_PID=$!
ready "http://127.0.0.1:$GWP/healthz"
PG_MASTER=$(head -1 "$(cat "$PG_STATE/dir")/data/postmaster.pid")
# "CPU-seconds context-switches" (proc_usage) of processes: the given pids, or "pg" for the cluster's postmaster
# and its children.
cpu() {
  local list="$*"
  [ "$1" = pg ] && list="$PG_MASTER $(ps -o pid= --ppid "$PG_MASTER" | tr '\n' ' ')"
  # shellcheck disable=SC2086  # a list of pids
  proc_usage $list
}
# per START END COUNT: "CPU ms / switches" per request between two `cpu` readings.
per() { python3 -c "a, b = '$1'.split(), '$2'.split(); print(f'{(float(b[0]) - float(a[0])) * 1000 / $3:.2f} ms / {(int(b[1]) - int(a[1])) / $3:.1f} cs')"; }
INSTANCES=$(create_instances "$SIM" "$SIGN_INSTANCES" B)
export INSTANCES

closed() { # name port
  TARGET=gateway-sign AUTH="Bearer $KEY" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/load.lua \
    "http://127.0.0.1:$2/" >"$WORK/$1.wrk" 2>&1 || { echo "wrk failed for $1:"; cat "$WORK/$1.wrk"; return 1; }
  report wrk "$1" "$WORK/$1.wrk"
}
echo "== PostgreSQL / SQLite sign path: $(nproc) cores, $(date -u +%FT%TZ), $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $BIN"
echo "PostgreSQL: fsync=$(psql "$PG_URL" -Atc 'show fsync'), synchronous_commit=$(psql "$PG_URL" -Atc 'show synchronous_commit'); wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS rounds"
# A short warm-up of each (connections, statement caches, the first pages of each table).
DURATION=2s closed warm-sqlite "$GW" >/dev/null; DURATION=2s closed warm-pg "$GWP" >/dev/null
ratios=()
for round in $(seq 1 "$ROUNDS"); do
  c0=$(cpu "$GW_PID")
  closed "sqlite-$round" "$GW" >/dev/null
  c1=$(cpu "$GW_PID"); p0=$(cpu "$GWP_PID"); q0=$(cpu pg)
  ( sleep 2; for _ in $(seq 1 24); do
      psql "$PG_URL" -Atc "SELECT coalesce(wait_event_type, 'running') || ':' || coalesce(wait_event, state, '') FROM pg_stat_activity
                          WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'" 2>/dev/null
      psql "$PG_URL" -Atc "SELECT 'waiting-for:' || CASE WHEN objsubid = 2 THEN 'instance-lock' WHEN objid = 1096107092
                          THEN 'audit-lock' WHEN objid = 1163284052 THEN 'events-lock' ELSE 'other' END
                          FROM pg_locks WHERE locktype = 'advisory' AND NOT granted" 2>/dev/null
      sleep 0.25; done >"$WORK/pg-waits-$round.txt" ) &
  sampler=$!
  closed "pg-$round" "$GWP" >/dev/null
  p1=$(cpu "$GWP_PID"); q1=$(cpu pg)
  wait "$sampler" || true
  s=$(report get "sqlite-$round" rps); p=$(report get "pg-$round" rps)
  ratio=$(python3 -c "print(f'{$p / $s:.2f}')")
  ratios+=("$ratio")
  n_s=$(report get "sqlite-$round" requests); n_p=$(report get "pg-$round" requests)
  echo "round $round: SQLite $(printf '%.0f' "$s") signs/s, PostgreSQL $(printf '%.0f' "$p") signs/s: $ratio x" \
    "  (CPU and context switches per sign: SQLite gateway $(per "$c0" "$c1" "$n_s"), PostgreSQL gateway" \
    "$(per "$p0" "$p1" "$n_p") + server $(per "$q0" "$q1" "$n_p"))" \
    "  (waits: $(sort "$WORK/pg-waits-$round.txt" | uniq -c | sort -rn | head -6 | awk '{printf "%s %s; ", $2, $1}'))"
done
echo "PostgreSQL / SQLite sign path, median of $ROUNDS: $(printf '%s\n' "${ratios[@]}" | sort -n | sed -n "$(( (ROUNDS + 1) / 2 ))p")x (budget >= 0.70x)"
[ -n "${KEEP:-}" ] && echo "work directory kept: $WORK"
exit 0
