#!/usr/bin/env bash
# `make bench`: every figure of issue 18 from ONE run on this machine, each beside its budget, as ratios and
# differences between targets measured in this run (never absolute timings). Same upstream for all: the
# simulator; the gateway (release build, SQLite store: WAL + synchronous=FULL, see Sources/Storage/SQLite/
# SQLiteStore.swift) with a static token profile; nginx reverse-proxying the same simulator; a second gateway on
# PostgreSQL (a private cluster with fsync=on, PostgreSQL's default).
#   1. throughput, closed loop (wrk -t$THREADS -c$CONNECTIONS -d$DURATION): simulator directly, nginx, gateway, for
#      the sign path (POST /v1/signatures parallel vs POST …/actions) and the read path (GET …/signees vs GET
#      …/signing), the budgets' ratios to nginx as the median of RATIO_ROUNDS (3) pairs of RATIO_DURATION (5s) runs
#      back to back; the sign path under an unauthenticated flood; the PostgreSQL gateway's sign path against the
#      SQLite gateway's, as the median of PG_ROUNDS (3) pairs of PG_DURATION (5s) runs back to back.
#   2. added latency at half load, open loop (bench/load.lua with RATE: a fixed request rate, wrk2-style): the rate
#      is half the gateway's throughput for the path measured in step 1. Read path: gateway p99 - simulator p99
#      at that rate. Sign path: a sign makes CALLS upstream calls (counted from the simulator's request counter,
#      not assumed); each of those upstream operations is measured directly at the sign rate, all at once (the
#      simulator sees the same load as under the gateway), and the distribution of their sum (independent draws;
#      the calls a sign makes at once count as the slower of them, see sign_stages) is what calling the upstream
#      directly the same way costs; (gateway p99 - that p99) / CALLS is the figure. A reference, not a budget: the
#      read budget held to nginx, at the gateway's half-load rate and at half of nginx's own closed-loop rate.
#   3. sequential added latency (wrk -t1 -c1: one keep-alive connection, one request after another): p50
#      differences, the sign path's per upstream call as in 2.
#   4. memory: VmRSS when idle (after start-up and 20 requests), and with MEMORY_CONNECTIONS (1000) connections
#      each with a request in flight against a slowed simulator (bench/memory.py).
# Ends with a table: figure, measured, budget, PASS/FAIL. Exits 0 whatever the verdicts (it is a report). Not part of
# `make test`. Knobs: DURATION, OPEN_DURATION, SEQ_DURATION, CONNECTIONS, THREADS, SIGN_INSTANCES, POSTGRES=0 (skip
# PostgreSQL), RATIO_ROUNDS, RATIO_DURATION, PG_ROUNDS, PG_DURATION, BENCH_POSTGRES_PORT (55440), MEMORY_CONNECTIONS,
# BIN (an existing build), BASELINE_BIN (an older build's sign path side by side), KEEP=1 (keep the work directory,
# printed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
OPEN_DURATION=${OPEN_DURATION:-10s}
SEQ_DURATION=${SEQ_DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
SIGN_INSTANCES=${SIGN_INSTANCES:-512}
POSTGRES=${POSTGRES:-1}
PG_ROUNDS=${PG_ROUNDS:-3}
PG_DURATION=${PG_DURATION:-5s}
RATIO_ROUNDS=${RATIO_ROUNDS:-3}
RATIO_DURATION=${RATIO_DURATION:-5s}
MEMORY_CONNECTIONS=${MEMORY_CONNECTIONS:-1000}
. bench/lib.sh

bench_need wrk nginx-light curl
[ "$POSTGRES" = 1 ] && [ -z "$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null)" ] && bench_need postgresql
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

if [ -z "${BIN:-}" ]; then
  swift build -c release --product signing-gateway >/dev/null
  BIN=.build/release/signing-gateway
fi
WORK=$(mktemp -d /tmp/sg-bench.XXXXXX)
export RESULTS="$WORK/results.json"
SIM=$(free_port); GW=$(free_port); NGX=$(free_port)
pids=()
PG_STATE="$PWD/.build-pg-bench"
pg_started=""
trap bench_cleanup EXIT
report() { python3 bench/report.py "$@"; }

start_simulator "$SIM" "$WORK"
start_sqlite_gateway "$GW"
TOKEN=$(cat "$WORK/simulator.token"); KEY=$(cat "$WORK/dev-client.key")
if [ -n "${BASELINE_BIN:-}" ]; then
  GW0=$(free_port); mkdir -p "$WORK/baseline"; cp "$WORK/dev-client.key" "$WORK/simulator.token" "$WORK/baseline/"
  write_gateway_config "$WORK/gw0.json" "$GW0" "$WORK/baseline" "$SIM" '{"engine": "sqlite"}'
  "$BASELINE_BIN" serve --config "$WORK/gw0.json" >"$WORK/gw0.log" 2>&1 & pids+=($!)
  ready "http://127.0.0.1:$GW0/healthz"
fi
nginx_proxy_config "$WORK/nginx" "$NGX" "$SIM" "$TOKEN"
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' & pids+=($!)
ready "http://127.0.0.1:$NGX/_simulator/instances"

# PostgreSQL: a private cluster (own port and state directory, fsync=on), and a second gateway on it.
if [ "$POSTGRES" = 1 ]; then
  GWP=$(free_port)
  prepare_postgres_gateway "$PG_STATE" "$GWP"
  PG_FSYNC=$(psql "$PG_URL" -Atc 'show fsync'); PG_SYNC=$(psql "$PG_URL" -Atc 'show synchronous_commit')
  "$BIN" serve --config "$WORK/gwp.json" >"$WORK/gwp.log" 2>&1 & pids+=($!)
  GWP_PID=$!
  ready "http://127.0.0.1:$GWP/healthz"
fi

INSTANCE=51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a02
SIGNEES="/v1/instances/ttd/signing-app/$INSTANCE/signees"
SIGNING="/ttd/signing-app/instances/$INSTANCE/signing"
# Signs spread over many instances, as in production: the gateway serializes writes per instance (one Altinn
# write at a time), so 64 connections signing one instance would measure that queue, not the gateway.
INSTANCES=$(create_instances "$SIM" "$SIGN_INSTANCES" B)
export INSTANCES

# Idle RSS: after start-up and a few requests of each kind (so lazily built state exists), nothing in flight.
for i in $(seq 1 10); do
  curl -fs -o /dev/null -H "Authorization: Bearer $KEY" "http://127.0.0.1:$GW$SIGNEES"
done
# The upstream calls one request makes, from the simulator's own counter (and which ones, from its request log).
first=$(echo "$INSTANCES" | cut -d' ' -f1-10)
before=$(simulator_total "$SIM")
for id in $first; do
  curl -fs -o /dev/null -X POST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -H "Idempotency-Key: calls-$id" -d "{\"app\":\"ttd/signing-app\",\"instanceId\":\"$id\",\"mode\":\"parallel\"}" \
    "http://127.0.0.1:$GW/v1/signatures"
done
middle=$(simulator_total "$SIM")
for _ in $(seq 1 10); do curl -fs -o /dev/null -H "Authorization: Bearer $KEY" "http://127.0.0.1:$GW$SIGNEES"; done
after=$(simulator_total "$SIM")
SIGN_CALLS=$(( (middle - before) / 10 )); READ_CALLS=$(( (after - middle) / 10 ))
sleep 1
IDLE_RSS=$(rss_kib "$GW_PID")
report set calls sign=$SIGN_CALLS read=$READ_CALLS
report set memory idle_rss_kib="$IDLE_RSS"
# Which calls a sign makes, in order: the simulator's log right after one more sign.
last=$(echo "$INSTANCES" | cut -d' ' -f11)
curl -fs -o /dev/null -X POST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
  -H "Idempotency-Key: sequence-$last" -d "{\"app\":\"ttd/signing-app\",\"instanceId\":\"$last\",\"mode\":\"parallel\"}" \
  "http://127.0.0.1:$GW/v1/signatures"
SIGN_SEQUENCE=$(curl -fs "http://127.0.0.1:$SIM/_simulator/requests" | python3 -c '
import json, re, sys
requests = json.load(sys.stdin)["requests"][-int(sys.argv[1]):]
print(", ".join(r["method"] + " " + re.sub(r"[0-9a-f-]{36}", "{id}", re.sub(r"/\d+/", "/{party}/", r["path"])) for r in requests))
' "$SIGN_CALLS")

# Upstream operations of a sign, measured directly: the instances they read were signed once (so each holds the
# signature document a sign leaves, whose id changes with every sign: these are not signed again meanwhile).
PROOF_INSTANCES=$(create_instances "$SIM" 64 B)
PROOF_PATHS=$(python3 - "$SIM" "$TOKEN" $PROOF_INSTANCES <<'PY'
import http.client, json, sys
sim, token, ids = sys.argv[1], sys.argv[2], sys.argv[3:]
c = http.client.HTTPConnection("127.0.0.1", int(sim))
h = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"}
instance_paths, data_paths, signing_paths = [], [], []
for id in ids:
    base = f"/ttd/signing-app/instances/{id}"
    c.request("POST", base + "/actions", json.dumps({"action": "sign"}), h); r = c.getresponse(); r.read()
    assert r.status == 200, r.status
    c.request("GET", base, headers=h); document = json.loads(c.getresponse().read())
    # As SigningService.signatureCandidates: JSON elements generated from a task (a GeneratedFrom reference).
    elements = [e for e in document.get("data", []) if (e.get("contentType") or "").startswith("application/json")
                and any(r.get("relation") == "GeneratedFrom" for r in e.get("references") or [])]
    newest = max(elements, key=lambda e: e.get("created") or "")
    instance_paths.append(base); data_paths.append(f"{base}/data/{newest['id']}")
    signing_paths.append(base + "/signing")
print(" ".join(instance_paths)); print(" ".join(data_paths)); print(" ".join(signing_paths))
PY
)
PATHS_INSTANCE=$(echo "$PROOF_PATHS" | sed -n 1p); PATHS_DATA=$(echo "$PROOF_PATHS" | sed -n 2p)
PATHS_SIGNING=$(echo "$PROOF_PATHS" | sed -n 3p)

# run NAME URL TARGET AUTH [wrk args…]: one wrk run through bench/load.lua, stored and printed.
run() {
  local name=$1 url=$2 target=$3 auth=$4; shift 4
  TARGET="$target" AUTH="$auth" wrk "$@" --latency -s bench/load.lua "$url" >"$WORK/$name.wrk" 2>&1 ||
    { echo "wrk failed for $name:"; cat "$WORK/$name.wrk"; return 1; }
  report wrk "$name" "$WORK/$name.wrk"
}
closed() { local name=$1 url=$2 target=$3 auth=$4; run "$name" "$url" "$target" "$auth" -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION"; }
# pairs KEY LABEL ROUNDS DURATION  A-NAME A-URL A-TARGET A-AUTH  B-NAME B-URL B-TARGET B-AUTH: ROUNDS pairs of
# closed-loop runs of A and B back to back, and the median of the pairs' B / A ratios stored as KEY's ratio. This
# machine's throughput moves by 10-20 % over minutes (nginx's own GET …/signing: 9,360-15,959/s across one session's
# runs), and a pair back to back sees the same machine; the order alternates (A first in odd rounds), so a drift
# along the pairs weighs on both sides alike.
pairs() {
  local key=$1 label=$2 rounds=$3 duration=$4 round ratios=()
  local a=("${@:5:4}") b=("${@:9:4}")
  for round in $(seq 1 "$rounds"); do
    if (( round % 2 )); then
      DURATION=$duration closed "${a[0]}-$round" "${a[@]:1}"; DURATION=$duration closed "${b[0]}-$round" "${b[@]:1}"
    else
      DURATION=$duration closed "${b[0]}-$round" "${b[@]:1}"; DURATION=$duration closed "${a[0]}-$round" "${a[@]:1}"
    fi
    ratios+=("$(python3 -c "print($(rps "${b[0]}-$round") / $(rps "${a[0]}-$round"))")")
  done
  report set "$key" ratio="$(python3 -c "import statistics, sys; print(statistics.median(map(float, sys.argv[1:])))" "${ratios[@]}")"
  echo "   ($label per pair: $(printf '%.2fx ' "${ratios[@]}")median $(python3 -c "print(f'{$(report get "$key" ratio):.2f}')")x)"
}
# open NAME URL TARGET AUTH RATE: fixed total rate over 2 threads x 32 connections.
open_loop() {
  local name=$1 url=$2 target=$3 auth=$4 rate=$5
  RATE=$(python3 -c "print($rate / 2)") run "$name" "$url" "$target" "$auth" -t2 -c64 -d"$OPEN_DURATION"
}
# with_usage NAME COMMAND…: runs the command (a wrk run stored under NAME), then prints the gateway's and the
# simulator's CPU (the gateway's kernel part too) and context switches per request of that run, and how much of the
# machine stayed idle (/proc/stat). At a fixed rate a request costs about twice its closed-loop CPU for the same
# instructions (callgrind counts them alike): each thread it reaches has gone idle, and runs it with cold caches;
# mostly user time, not the hand-offs' system calls. So half the closed loop's rate leaves the machine little idle.
with_usage() {
  local name=$1; shift
  local g0 s0 i0 g1 s1 i1
  g0=$(proc_usage "$GW_PID"); s0=$(proc_usage "$SIM_PID"); i0=$(machine_idle)
  "$@"
  g1=$(proc_usage "$GW_PID"); s1=$(proc_usage "$SIM_PID"); i1=$(machine_idle)
  local usage
  usage=$(python3 - "$g0" "$g1" "$s0" "$s1" "$i0" "$i1" "$(report get "$name" requests)" <<'PY'
import sys
(g0c, g0s, g0k), (g1c, g1s, g1k), (s0c, s0s, s0k), (s1c, s1s, s1k) = (map(float, a.split()) for a in sys.argv[1:5])
(idle0, all0), (idle1, all1) = (map(float, a.split()) for a in sys.argv[5:7])
n = float(sys.argv[7])
print(f"   (per request: gateway {(g1c - g0c) * 1000 / n:.3f} ms CPU ({(g1k - g0k) * 1000 / n:.3f} in the kernel),"
      f" {(g1s - g0s) / n:.1f} context switches; simulator {(s1c - s0c) * 1000 / n:.3f} ms, {(s1s - s0s) / n:.1f};"
      f" machine idle {100 * (idle1 - idle0) / (all1 - all0):.0f} %)")
print(f"{100 * (idle1 - idle0) / (all1 - all0):.1f}")
PY
)
  echo "$usage" | head -1
  report set "$name" idle="$(echo "$usage" | tail -1)"
}
seq_run() { local name=$1 url=$2 target=$3 auth=$4; run "$name" "$url" "$target" "$auth" -t1 -c1 -d"$SEQ_DURATION"; }
rps() { report get "$1" rps; }

echo "== signing-gateway bench: $(nproc) cores, $(date -u +%FT%TZ), $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $BIN"
echo "SQLite: journal_mode=WAL, synchronous=FULL (Sources/Storage/SQLite/SQLiteStore.swift: open)"
# An idle vCPU that halts at once (no guest halt polling) makes every wake-up of an idle thread slower: the
# sequential figures depend on it (docs/performance.md, twelfth session).
echo "idle CPUs: cpuidle $(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null || echo '?'), guest_halt_poll_ns $(cat /sys/module/haltpoll/parameters/guest_halt_poll_ns 2>/dev/null || echo '-')"
[ "$POSTGRES" = 1 ] && echo "PostgreSQL: private cluster on 127.0.0.1, fsync=$PG_FSYNC, synchronous_commit=$PG_SYNC"
echo "upstream calls per request (simulator's counter, 10 requests each): sign $SIGN_CALLS ($SIGN_SEQUENCE), read $READ_CALLS"
echo
echo "-- 1. throughput, closed loop: wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
closed sim-actions     "http://127.0.0.1:$SIM/" altinn-actions "Bearer $TOKEN"
closed nginx-actions   "http://127.0.0.1:$NGX/" altinn-actions ""
before=$(simulator_total "$SIM")
with_usage gateway-sign closed gateway-sign "http://127.0.0.1:$GW/" gateway-sign "Bearer $KEY"
after=$(simulator_total "$SIM")
echo "   (upstream requests during that run per sign, background tracking polls included: $(python3 -c "print(f'{($after - $before) / $(report get gateway-sign requests):.2f}')"))"
pairs sign-vs-nginx "sign path, gateway / nginx" "$RATIO_ROUNDS" "$RATIO_DURATION" \
  pair-nginx-actions "http://127.0.0.1:$NGX/" altinn-actions "" \
  pair-gateway-sign "http://127.0.0.1:$GW/" gateway-sign "Bearer $KEY"
if [ "$POSTGRES" = 1 ]; then
  # What the PostgreSQL gateway's connections wait on during its run (pg_stat_activity, sampled every 0.25 s).
  ( sleep 2; for _ in $(seq 1 24); do
      psql "$PG_URL" -Atc "SELECT coalesce(wait_event_type, 'running') || ':' || coalesce(wait_event, state, '') FROM pg_stat_activity
                          WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'" 2>/dev/null
      # Which advisory lock they wait for (keys in Sources/Storage/Postgres: SIGNAUDT, SIGNEVNT, per instance).
      psql "$PG_URL" -Atc "SELECT 'waiting-for:' || CASE WHEN objsubid = 2 THEN 'instance-lock' WHEN objid = 1096107092
                          THEN 'audit-lock' WHEN objid = 1163284052 THEN 'events-lock' ELSE 'other' END
                          FROM pg_locks WHERE locktype = 'advisory' AND NOT granted" 2>/dev/null
      sleep 0.25; done >"$WORK/pg-waits.txt" ) &
  pg_sampler=$!
  # PG_ROUNDS pairs of closed-loop runs back to back, SQLite's gateway then PostgreSQL's (PG_DURATION each, after
  # a warm-up of the PostgreSQL gateway, whose pool and statements start cold), and the median of the pairs'
  # ratios: this machine's throughput moves by 10-20 % over minutes, and one pair back to back sees the same.
  DURATION=2s closed pg-warm-up "http://127.0.0.1:$GWP/" gateway-sign "Bearer $KEY" >/dev/null
  pairs pg "PostgreSQL / SQLite" "$PG_ROUNDS" "$PG_DURATION" \
    pg-pair-sqlite "http://127.0.0.1:$GW/" gateway-sign "Bearer $KEY" \
    pg-gateway-sign "http://127.0.0.1:$GWP/" gateway-sign "Bearer $KEY"
  wait "$pg_sampler" || true
  echo "   (PostgreSQL backends busy during that run, by wait event, summed over 24 samples: $(sort "$WORK/pg-waits.txt" | uniq -c | sort -rn | head -9 | awk '{printf "%s %s; ", $2, $1}'))"
  # Its only figure is taken: stop that gateway and its cluster. Idle, they were not: the gateway's tracker kept
  # polling the instances just signed (upstream calls and synced commits) and the server wrote its checkpoints,
  # all on the two cores and the disk of the figures below (the read p99 added at half load: 13.6 ms beside them,
  # 4.8 ms without them, in two runs of the same build; docs/performance.md, eighth session).
  kill "$GWP_PID" 2>/dev/null || true; wait "$GWP_PID" 2>/dev/null || true
  TEST_POSTGRES_STATE="$PG_STATE" bash scripts/test-postgres.sh stop 2>/dev/null || true
  pg_started=""
fi
# The same sign load while a second wrk floods the gateway with unauthenticated requests (an unknown API key,
# from the same address): those are limited per source (preAuth.*) and audited as counts, so signs should
# keep most of their rate. The flood starts first and outlasts the sign run.
FLOOD_CONNECTIONS=${FLOOD_CONNECTIONS:-64}
FLOOD_DURATION=${FLOOD_DURATION:-$(( ${DURATION%s} + 2 ))s}
TARGET="" AUTH="Bearer not-a-configured-key" wrk -t1 -c"$FLOOD_CONNECTIONS" -d"$FLOOD_DURATION" -s bench/load.lua \
  "http://127.0.0.1:$GW$SIGNEES" >"$WORK/flood.wrk" 2>&1 &
flood_pid=$!
sleep 1  # let the flood ramp up before measuring
closed gateway-sign-flooded "http://127.0.0.1:$GW/" gateway-sign "Bearer $KEY"
wait "$flood_pid"
report wrk flood "$WORK/flood.wrk" >/dev/null
if [ -n "${BASELINE_BIN:-}" ]; then closed baseline-sign "http://127.0.0.1:$GW0/" gateway-sign "Bearer $KEY"; fi
closed sim-signing     "http://127.0.0.1:$SIM$SIGNING" "" "Bearer $TOKEN"
closed nginx-signing   "http://127.0.0.1:$NGX$SIGNING" "" ""
with_usage gateway-signees closed gateway-signees "http://127.0.0.1:$GW$SIGNEES"  "" "Bearer $KEY"
pairs read-vs-nginx "read path, gateway / nginx" "$RATIO_ROUNDS" "$RATIO_DURATION" \
  pair-nginx-signing "http://127.0.0.1:$NGX$SIGNING" "" "" \
  pair-gateway-signees "http://127.0.0.1:$GW$SIGNEES" "" "Bearer $KEY"
python3 - "$(rps sim-actions)" "$(rps nginx-actions)" "$(rps gateway-sign)" "$(rps sim-signing)" "$(rps nginx-signing)" \
  "$(rps gateway-signees)" "$(rps flood)" "$(rps gateway-sign-flooded)" "$(report get pg ratio)" "$(rps baseline-sign)" \
  "$SIGN_CALLS" <<'PY'
import sys
def f(x): return float(x) if x else None
a1, c1, b1, a2, c2, b2, flood, flooded, pg, base = map(f, sys.argv[1:11])
calls = sys.argv[11]
print(f"sign path ({calls} upstream calls per sign; nginx and the simulator: one POST …/actions): "
      f"gateway/simulator {b1/a1:.2f}x   gateway/nginx {b1/c1:.2f}x")
print(f"read path (1 upstream call + an audit record): gateway/simulator {b2/a2:.2f}x   gateway/nginx {b2/c2:.2f}x")
print(f"unauthenticated flood: {flood:.0f} req/s (all 401/429); sign path under the flood / without: {flooded/b1:.2f}x")
if pg: print(f"PostgreSQL sign path / SQLite sign path: {pg:.2f}x (the median of the pairs above)")
if base: print(f"sign path, this build / BASELINE_BIN: {b1/base:.2f}x")
PY

READ_RATE=$(python3 -c "print(round($(rps gateway-signees) / 2))")
SIGN_RATE=$(python3 -c "print(round($(rps gateway-sign) / 2))")
echo
echo "-- 2. added latency at half load, open loop (fixed rate, 2 threads x 32 connections, $OPEN_DURATION each)"
echo "read path at $READ_RATE req/s (half of gateway-signees above):"
with_usage open-sim-signing open_loop open-sim-signing "http://127.0.0.1:$SIM$SIGNING" "" "Bearer $TOKEN" "$READ_RATE"
with_usage open-gateway-signees open_loop open-gateway-signees "http://127.0.0.1:$GW$SIGNEES"  "" "Bearer $KEY" "$READ_RATE"
# The same yardstick held to nginx (a reference, not a budget): its p99 added over the simulator at the gateway's
# half-load rate (what a proxy that costs little CPU adds at that rate on this machine), and at half of nginx's own
# closed-loop rate (what "half load" means for nginx: the machine about as busy as the gateway's half load leaves it).
with_usage open-nginx-signing open_loop open-nginx-signing "http://127.0.0.1:$NGX$SIGNING" "" "" "$READ_RATE"
NGINX_HALF=$(python3 -c "print(round($(rps nginx-signing) / 2))")
echo "nginx at half of its own closed loop, $NGINX_HALF req/s (half of nginx-signing above), and the simulator directly at that rate:"
open_loop open-sim-signing-nginx-half "http://127.0.0.1:$SIM$SIGNING" "" "Bearer $TOKEN" "$NGINX_HALF"
with_usage open-nginx-signing-half open_loop open-nginx-signing-half "http://127.0.0.1:$NGX$SIGNING" "" "" "$NGINX_HALF"
echo "sign path at $SIGN_RATE signs/s (half of gateway-sign above); then its $SIGN_CALLS upstream operations directly, each at $SIGN_RATE req/s, all at once:"
with_usage open-gateway-sign open_loop open-gateway-sign "http://127.0.0.1:$GW/" gateway-sign "Bearer $KEY" "$SIGN_RATE"
# The direct operations in the order a sign makes them, as the simulator logged them (SIGN_SEQUENCE).
# sign_parts: one "name target paths-variable" line per upstream call of a sign.
sign_parts() {
  local i=0 call
  while IFS= read -r call; do
    i=$((i + 1))
    case "$call" in
      *'/actions') echo "actions-$i altinn-actions -" ;;
      *'/signing') echo "signing-$i paths PATHS_SIGNING" ;;
      *'/data/'*) echo "data-$i paths PATHS_DATA" ;;
      *) echo "instance-$i paths PATHS_INSTANCE" ;;
    esac
  done < <(echo "$SIGN_SEQUENCE" | tr ',' '\n' | sed 's/^ *//')
}
# How a sign makes them (SigningService.signGated): the sign call alone; then the signing-state read and the first
# proof read (a data element the actions answer listed) at once; then any further reads one after another (an
# instance read, when the answer did not settle the proof, and what follows it).
sign_stages() { # prefix
  local prefix=$1 part first="" signing="" data="" instance="" rest=()
  while read -r part _ <&3; do
    if [ -z "$first" ]; then first=$part
    elif [ -z "$signing" ] && [[ $part == signing-* ]]; then signing=$part
    elif [ -z "$data" ] && [ -z "$instance" ] && [[ $part == data-* ]]; then data=$part
    else [[ $part == instance-* ]] && instance=$part; rest+=("$prefix$part"); fi
  done 3< <(sign_parts)
  local together=""
  [ -n "$signing" ] && together="$prefix$signing"
  [ -n "$data" ] && together="${together:+$together|}$prefix$data"
  echo "$prefix$first" $together "${rest[@]}"
}
direct_parts=(); direct_pids=()
launch_direct() { # name target paths
  local name=$1 target=$2 paths=$3
  PATHS="$paths" TARGET="$target" AUTH="Bearer $TOKEN" RATE="$SIGN_RATE" \
    wrk -t1 -c32 -d"$OPEN_DURATION" --latency -s bench/load.lua "http://127.0.0.1:$SIM/" >"$WORK/$name.wrk" 2>&1 &
  direct_pids+=($!); direct_parts+=("$name")
}
while read -r part target paths <&3; do
  launch_direct "open-sim-$part" "$target" "$([ "$paths" = - ] || echo "${!paths}")"
done 3< <(sign_parts)
wait "${direct_pids[@]}"
for part in "${direct_parts[@]}"; do report wrk "$part" "$WORK/$part.wrk"; done
# shellcheck disable=SC2046  # stage names have no spaces
report chain open-sim-chain $(sign_stages open-sim-)

echo
echo "-- 3. sequential: one keep-alive connection, one request after another ($SEQ_DURATION each)"
seq_run seq-sim-signing     "http://127.0.0.1:$SIM$SIGNING" "" "Bearer $TOKEN"
seq_run seq-gateway-signees "http://127.0.0.1:$GW$SIGNEES"  "" "Bearer $KEY"
seq_run seq-gateway-sign    "http://127.0.0.1:$GW/" gateway-sign "Bearer $KEY"
seq_direct() { PATHS="$3" seq_run "$1" "http://127.0.0.1:$SIM/" "$2" "Bearer $TOKEN"; }
while read -r part target paths <&3; do
  seq_direct "seq-sim-$part" "$target" "$([ "$paths" = - ] || echo "${!paths}")"
done 3< <(sign_parts)
# shellcheck disable=SC2046
report chain seq-sim-chain $(sign_stages seq-sim-)

echo
echo "-- 4. memory (VmRSS of the SQLite gateway)"
MEM=$(python3 bench/memory.py "$GW_PID" "$GW" "$SIM" "$SIGNEES" "Bearer $KEY" "$MEMORY_CONNECTIONS")
report set memory $(echo "$MEM" | tr ' ' '\n' | grep -v '^statuses=')
echo "idle (after start-up and 30 requests): $(( IDLE_RSS / 1024 )) MiB; $MEM"
echo "after everything: VmRSS $(( $(rss_kib "$GW_PID") / 1024 )) MiB, VmHWM $(( $(awk '/^VmHWM:/ {print $2}' "/proc/$GW_PID/status") / 1024 )) MiB; simulator VmRSS $(( $(rss_kib "$SIM_PID") / 1024 )) MiB"

report summary
[ -n "${KEEP:-}" ] && echo "work directory kept: $WORK"
exit 0
