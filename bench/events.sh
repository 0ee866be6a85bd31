#!/usr/bin/env bash
# Outbox drain rate. Per store (SQLite, then PostgreSQL on a throw-away server):
#   1. INSTANCES simulator instances (template A) are signed through the gateway: 5 events each, committed to
#      the outbox by the real sign path (no subscription yet, so nothing is delivered);
#   2. SUBSCRIPTIONS disabled subscriptions to a local nginx answering 204 are created and each is replayed from
#      the beginning: INSTANCES*5*SUBSCRIPTIONS pending deliveries;
#   3. the subscriptions are enabled and the clock runs until `GET /v1/deliveries?status=pending&limit=1` is empty;
#   4. INSTANCES more are made and signed with the subscribers live (each commit creates deliveries), and the clock
#      runs until the last of them is delivered.
# Prints deliveries/s and events/s (an event counts once every subscription has it), then step 4's signs/s and how
# long after the last sign its last delivery was made. Not part of `make test`.
# PostgreSQL runs with fsync=on (its default; the test suite's server has it off): a private cluster on its own
# port (BENCH_POSTGRES_PORT, default 55441) and state directory (.build-pg-events), so a running `make test` keeps its own.
#   BIN=.build/debug/signing-gateway bash bench/events.sh     use an existing build instead of the release build
#   STORES="sqlite"                                           skip PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/.."
INSTANCES=${INSTANCES:-800}
SUBSCRIPTIONS=${SUBSCRIPTIONS:-5}
CONCURRENCY=${CONCURRENCY:-64}
STORES=${STORES:-"sqlite postgres"}
PG_STATE="$PWD/.build-pg-events"

. bench/lib.sh
bench_need nginx-light curl

if [ -z "${BIN:-}" ]; then
  swift build -c release --product signing-gateway >/dev/null
  BIN=.build/release/signing-gateway
fi
WORK=$(mktemp -d /tmp/sg-bench-events.XXXXXX)
pids=()
pg_started=""
trap bench_cleanup EXIT

NGX=$(free_port)
mkdir -p "$WORK/nginx/logs"
cat >"$WORK/nginx/nginx.conf" <<NGINX
worker_processes 1;
error_log $WORK/nginx/logs/error.log;
pid $WORK/nginx/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000;
  server { listen 127.0.0.1:$NGX; location / { return 204; } }
}
NGINX
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' & pids+=($!)
ready "http://127.0.0.1:$NGX/"

run_store() { # name storage-json
  local name=$1 storage=$2 dir="$WORK/$1" sim gw
  mkdir -p "$dir"
  sim=$(free_port); gw=$(free_port)
  $BIN simulate --port "$sim" --data-dir "$dir" >"$dir/sim.log" 2>&1 & pids+=($!)
  ready "http://127.0.0.1:$sim/_simulator/instances"
  cat >"$dir/gw.json" <<JSON
{"port": $gw, "dataDirectory": "$dir", "logLevel": "warning",
 "upstream": {"environment": "http://127.0.0.1:$sim"},
 "tokenProfiles": {"dev": {"kind": "static", "tokenFile": "$dir/simulator.token"}}, "defaultTokenProfile": "dev",
 "storage": $storage,
 "events": {"allowedDestinations": ["127.0.0.0/8"], "deliveryConcurrency": $CONCURRENCY}}
JSON
  $BIN serve --config "$dir/gw.json" >"$dir/gw.log" 2>&1 & pids+=($!)
  ready "http://127.0.0.1:$gw/healthz"
  python3 - "$name" "$sim" "$gw" "$NGX" "$dir/dev-client.key" "$INSTANCES" "$SUBSCRIPTIONS" <<'PY'
import http.client, json, sys, time, uuid
from concurrent.futures import ThreadPoolExecutor
name, sim, gw, ngx, key_file, instances, subscriptions = sys.argv[1:]
instances, subscriptions = int(instances), int(subscriptions)
key = open(key_file).read().strip()
auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

def call(port, method, path, body=None, headers=None, connections={}):
    import threading
    ident = (port, threading.get_ident())
    conn = connections.get(ident) or http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
    connections[ident] = conn
    conn.request(method, path, json.dumps(body) if body is not None else None, headers or {})
    response = conn.getresponse()
    return response.status, response.getheaders(), response.read()

def make_and_sign(_):
    status, _, text = call(sim, "POST", "/_simulator/instances", {"template": "A"}, {"Content-Type": "application/json"})
    instance = json.loads(text)["id"]
    status, _, text = call(gw, "POST", "/v1/signatures", {"app": "ttd/signing-app", "instanceId": instance, "mode": "parallel", "track": False},
                           {**auth, "Idempotency-Key": str(uuid.uuid4())})
    assert status == 200, (status, text[:200])

start = time.monotonic()
with ThreadPoolExecutor(8) as pool:
    list(pool.map(make_and_sign, range(instances)))
fill = time.monotonic() - start
events, after = 0, 0
while True:
    status, headers, text = call(gw, "GET", f"/v1/events?limit=1000&after={after}", None, auth)
    batch = json.loads(text)
    if not batch:
        break
    events += len(batch)
    after = dict(headers)["Next-Cursor"]

ids, total = [], 0
for i in range(subscriptions):
    status, _, text = call(gw, "POST", "/v1/subscriptions", {"url": f"http://127.0.0.1:{ngx}/hook/{i}", "enabled": False}, auth)
    assert status == 201, (status, text)
    sub = json.loads(text)["id"]
    ids.append(sub)
    status, _, text = call(gw, "POST", f"/v1/subscriptions/{sub}/replay?since=2000-01-01T00:00:00Z", None, auth)
    assert status == 202, (status, text)
    total += json.loads(text)["deliveries"]
print(f"[{name}] {instances} instances signed in {fill:.1f}s -> {events} events; {subscriptions} subscriptions -> {total} pending deliveries")

def drained():
    status, _, text = call(gw, "GET", "/v1/deliveries?status=pending&limit=1", None, auth)
    return status == 200 and not json.loads(text)["items"]

start = time.monotonic()
for sub in ids:
    status, _, text = call(gw, "PATCH", f"/v1/subscriptions/{sub}", {"enabled": True}, auth)
    assert status == 200, (status, text)
while not drained():
    time.sleep(0.02)
elapsed = time.monotonic() - start
status, _, text = call(gw, "GET", "/v1/deliveries?status=dead&limit=1", None, auth)
dead = len(json.loads(text)["items"])
print(f"[{name}] drained {total} deliveries in {elapsed:.2f}s: {total / elapsed:,.0f} deliveries/s, "
      f"{events / elapsed:,.0f} events/s (x{subscriptions} subscribers){'  DEAD DELIVERIES!' if dead else ''}")

# Signing while the subscribers are live: each commit creates deliveries and wakes the dispatcher's loops.
start = time.monotonic()
with ThreadPoolExecutor(8) as pool:
    list(pool.map(make_and_sign, range(instances)))
signed = time.monotonic() - start
while not drained():
    time.sleep(0.02)
late = time.monotonic() - start - signed
print(f"[{name}] with the {subscriptions} subscribers live: {instances} more instances made and signed in {signed:.2f}s "
      f"({instances / signed:,.0f}/s), the last delivery made {late:.2f}s after the last sign")
PY
}

echo "events bench: $INSTANCES instances x 5 events x $SUBSCRIPTIONS subscriptions, dispatcher concurrency $CONCURRENCY, $(nproc) cores, $BIN"
for store in $STORES; do
  case "$store" in
    sqlite) run_store sqlite '{"engine": "sqlite"}' ;;
    postgres)
      pg_started=1
      TEST_POSTGRES_STATE="$PG_STATE" TEST_POSTGRES_PORT=${BENCH_POSTGRES_PORT:-55441} TEST_POSTGRES_FSYNC=on \
        bash scripts/test-postgres.sh start >/dev/null
      . "$PG_STATE/env"
      echo "[postgres] fsync=$(psql "$SIGNING_GATEWAY_TEST_POSTGRES_URL" -Atc 'show fsync'), synchronous_commit=$(psql "$SIGNING_GATEWAY_TEST_POSTGRES_URL" -Atc 'show synchronous_commit')"
      run_store postgres "{\"engine\": \"postgres\", \"postgresURL\": \"$SIGNING_GATEWAY_TEST_POSTGRES_URL\"}" ;;
  esac
done
