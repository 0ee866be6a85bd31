"""The operator's kit in deploy/operations/ (issue 14), checked against the real binary and real tools.

- test_alert_rules_link_the_runbook: every alert has expr, for, a severity, a summary and a runbook_url whose anchor
  is a heading of RUNBOOK.md; every alert the issue asks for is there.
- test_promtool: `promtool check rules` on alerts.yaml, `promtool test rules` on alerts.test.yaml (an oldest pending
  delivery of 30 min fires, 0 does not; tokens; dead letters), and every dashboard query through promtool's PromQL
  parser (as recording rules).
- test_dashboard: the JSON parses; every data panel uses the `datasource` variable and has queries; core panel
  types only (no plugins); ids unique; no panel overlaps another.
- test_metric_names_exist: every `signing_gateway_*` series named in alerts.yaml and dashboard.json is in a live
  gateway's GET /metrics after a sign (built-in simulator with a Maskinporten profile), a dead-lettered delivery and
  the gauges' refresh; rate()/increase() only over counters and histogram series.
- test_sqlite_backup_and_restore / test_postgres_backup_and_restore: the RUNBOOK's `runbook-test` blocks, run as
  written (bash, with the variables they name) against a gateway that keeps signing meanwhile: the restored copy
  verifies intact, reaches the checkpoint taken before the backup, and holds between the record counts before and
  after; a copy with one record changed is reported BROKEN. The scheduled verify's exact command lines (CronJob
  args, systemd ExecStart) run against the live store, and the two manifests pass kubernetes-validate and
  systemd-analyze.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.parse
import uuid

import yaml

from support.checks import check
from support.processes import BINARY, DEMO_A, JSON, ROOT, http, run_binary, wait_for

OPS = os.path.join(ROOT, "deploy", "operations")
ALERTS = os.path.join(OPS, "alerts.yaml")
ALERT_TESTS = os.path.join(OPS, "alerts.test.yaml")
DASHBOARD = os.path.join(OPS, "dashboard.json")
RUNBOOK = os.path.join(OPS, "RUNBOOK.md")
CRONJOB = os.path.join(OPS, "kubernetes", "audit-verify-cronjob.yaml")
VERIFY_UNIT = os.path.join(OPS, "systemd", "signing-gateway-audit-verify.service")
VERIFY_TIMER = os.path.join(OPS, "systemd", "signing-gateway-audit-verify.timer")
APP = "ttd/signing-app"
K8S_VERSION = "1.29.0"
GATEWAY_METRIC = re.compile(r"\bsigning_gateway_[a-z0-9_]+\b")
# Series the rules read from other exporters (documented at the top of alerts.yaml): Prometheus itself,
# kube-state-metrics, node_exporter. Anything else must be the gateway's.
FOREIGN_NAMES = {"up"}
FOREIGN_PREFIXES = ("kube_", "node_systemd_")
CORE_PANELS = {"timeseries", "stat", "gauge", "bargauge", "table", "text", "row", "heatmap", "piechart", "logs"}
INTACT = re.compile(r"audit log intact: (\d+) records.*?; (\d+) signed checkpoint\(s\) matched")


# ---------- Reading the kit ----------
def alert_rules():
    with open(ALERTS) as handle:
        doc = yaml.safe_load(handle)
    return [rule for group in doc["groups"] for rule in group["rules"]]


def dashboard():
    with open(DASHBOARD) as handle:
        return json.load(handle)


def dashboard_queries():
    """(panel title, PromQL) of every panel's targets and of every query variable."""
    board = dashboard()
    queries = [(p.get("title", "?"), t["expr"]) for p in board["panels"] for t in p.get("targets", []) if "expr" in t]
    for variable in board.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
            match = re.fullmatch(r"label_values\((.*),\s*\w+\)", query)
            queries.append((f"variable {variable['name']}", match.group(1) if match else query))
    return queries


def as_promql(expr):
    """A dashboard query with Grafana's variables put in, so promtool can parse it."""
    return (expr.replace("$__rate_interval", "5m").replace("$__interval", "1m")
            .replace("$job", ".*").replace("$instance", ".*"))


def runbook_blocks():
    """name -> the fenced sh block right after `<!-- runbook-test: name -->` in RUNBOOK.md."""
    with open(RUNBOOK) as handle:
        text = handle.read()
    return dict(re.findall(r"<!-- runbook-test: ([a-z0-9-]+) -->\s*\n```sh\n(.*?)```", text, re.S))


def github_anchor(heading):
    """GitHub's slug of a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def runbook_anchors():
    with open(RUNBOOK) as handle:
        return {github_anchor(line.lstrip("#")) for line in handle if re.match(r"#{1,6} ", line)}


def metric_references():
    """(where, name) of every gateway series the rules and the dashboard read."""
    refs = [(f"alert {r['alert']}", name) for r in alert_rules() for name in GATEWAY_METRIC.findall(r["expr"])]
    refs += [(f"panel {title}", name) for title, expr in dashboard_queries() for name in GATEWAY_METRIC.findall(expr)]
    return refs


def rate_arguments(expr):
    """Series names given straight to rate()/increase()."""
    return re.findall(r"\b(?:rate|irate|increase)\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)", expr)


# ---------- Structure ----------
def test_alert_rules_link_the_runbook():
    rules = alert_rules()
    anchors = runbook_anchors()
    names = [r.get("alert") for r in rules]
    check("alert names unique", len(names) == len(set(names)), str(names))
    for rule in rules:
        name = rule.get("alert", "?")
        check(f"{name}: expr", bool(rule.get("expr", "").strip()))
        check(f"{name}: for", re.fullmatch(r"\d+[smh]", str(rule.get("for", ""))) is not None, str(rule.get("for")))
        check(f"{name}: severity warning|critical", rule.get("labels", {}).get("severity") in ("warning", "critical"),
              str(rule.get("labels")))
        annotations = rule.get("annotations", {})
        check(f"{name}: summary", bool(annotations.get("summary", "").strip()))
        url = annotations.get("runbook_url", "")
        match = re.fullmatch(r"https://\S+/deploy/operations/RUNBOOK\.md#([a-z0-9-]+)", url)
        check(f"{name}: runbook_url points into deploy/operations/RUNBOOK.md", match is not None, url)
        if match:
            check(f"{name}: runbook anchor #{match.group(1)} is a RUNBOOK.md heading", match.group(1) in anchors,
                  f"headings: {sorted(anchors)}")
        foreign = [t for t in re.findall(r"\b([a-z_][a-z0-9_]*)\{", rule["expr"]) if not t.startswith("signing_gateway_")]
        check(f"{name}: other exporters' series are the documented ones",
              all(t in FOREIGN_NAMES or t.startswith(FOREIGN_PREFIXES) for t in foreign), str(foreign))
    # What the issue asks for, by the series each alert reads.
    exprs = {r["alert"]: r["expr"] for r in rules}
    wanted = {
        "token expiry": r"signing_gateway_token_seconds_until_expiry\b",
        "token fetch failures": r'signing_gateway_token_fetches_total\{result="failure"\}',
        "outbox depth": r"signing_gateway_outbox_depth\b",
        "oldest pending age": r"signing_gateway_outbox_oldest_pending_seconds\b",
        "dead letters present": r"signing_gateway_dead_letters\b",
        "dead letters growing": r"signing_gateway_deliveries_dead_lettered_total\b",
        "audit append failures": r"signing_gateway_audit_append_failures_total\b",
        "gateway 5xx": r'signing_gateway_http_requests_total\{status="5xx"',
        "upstream errors": r"signing_gateway_upstream_requests_total\{status=~\"5xx\|error\"",
        "upstream latency": r"signing_gateway_upstream_request_duration_seconds_bucket\b",
        "instance down": r'\bup\{job="signing-gateway"\} == 0',
        "not ready": r"kube_pod_status_ready\b",
        "outcome unknown": r'result="outcomeUnknown"',
    }
    for what, pattern in wanted.items():
        check(f"an alert on {what}", any(re.search(pattern, e) for e in exprs.values()), pattern)
    # Every procedure the issue names has its section.
    for heading in ("rotating-the-maskinporten-key", "rotating-client-keys-and-secrets", "rotating-the-database-password",
                    "rotating-subscription-secrets-and-the-sealing-key", "backup-and-restore", "outcome-unknown-signs",
                    "dead-letter-replay", "scheduling-audit-verify", "when-a-chain-or-a-backup-is-not-intact"):
        check(f"RUNBOOK.md has #{heading}", heading in anchors)


def test_dashboard():
    board = dashboard()  # parses, or the test fails here
    variables = {v["name"]: v for v in board.get("templating", {}).get("list", [])}
    source = variables.get("datasource", {})
    check("a `datasource` variable of Prometheus data sources",
          source.get("type") == "datasource" and source.get("query") == "prometheus", json.dumps(source))
    uses_variable = re.compile(r"^\$\{?datasource\}?$")
    panels = board.get("panels", [])
    check("the dashboard has panels", len(panels) >= 10, str(len(panels)))
    ids = [p.get("id") for p in panels]
    check("panel ids unique", len(ids) == len(set(ids)) and None not in ids, str(ids))
    requires = {r["id"] for r in board.get("__requires", []) if r.get("type") == "panel"}
    check("__requires lists core panels only", requires <= CORE_PANELS, str(requires))
    boxes = []
    for panel in panels:
        title = panel.get("title", "?")
        kind = panel.get("type")
        check(f"panel {title}: core panel type", kind in CORE_PANELS, str(kind))
        grid = panel.get("gridPos", {})
        check(f"panel {title}: gridPos inside 24 columns",
              all(k in grid for k in "hwxy") and grid["x"] + grid["w"] <= 24, json.dumps(grid))
        boxes.append((title, grid))
        if kind == "row":
            check(f"row {title}: no queries of its own", not panel.get("targets"))
            continue
        uid = (panel.get("datasource") or {}).get("uid", "")
        check(f"panel {title}: datasource is the variable", bool(uses_variable.match(uid)), json.dumps(panel.get("datasource")))
        targets = panel.get("targets", [])
        check(f"panel {title}: has queries", bool(targets))
        for target in targets:
            check(f"panel {title} {target.get('refId')}: a PromQL expr", bool(target.get("expr", "").strip()))
            check(f"panel {title} {target.get('refId')}: datasource is the variable",
                  bool(uses_variable.match((target.get("datasource") or {}).get("uid", ""))))
            check(f"panel {title} {target.get('refId')}: filtered by $job",
                  'job=~"$job"' in target.get("expr", ""), target.get("expr", ""))
    for i, (a, ga) in enumerate(boxes):
        for b, gb in boxes[i + 1:]:
            if all(k in ga for k in "hwxy") and all(k in gb for k in "hwxy"):
                overlap = (ga["x"] < gb["x"] + gb["w"] and gb["x"] < ga["x"] + ga["w"]
                           and ga["y"] < gb["y"] + gb["h"] and gb["y"] < ga["y"] + ga["h"])
                check(f"panels {a!r} and {b!r} do not overlap", not overlap)
    # What the issue asks to see.
    exprs = " ".join(e for _, e in dashboard_queries())
    for series in ("signing_gateway_http_requests_total", "signing_gateway_http_request_duration_seconds_bucket",
                   "signing_gateway_upstream_requests_total", "signing_gateway_upstream_request_duration_seconds_bucket",
                   "signing_gateway_token_seconds_until_expiry", "signing_gateway_outbox_depth",
                   "signing_gateway_outbox_oldest_pending_seconds", "signing_gateway_dead_letters",
                   "signing_gateway_delivery_attempts_total", "signing_gateway_tracked_instances",
                   "signing_gateway_audit_appends_total", "signing_gateway_idempotency_total"):
        check(f"a panel reads {series}", re.search(rf"\b{series}\b", exprs) is not None)


# ---------- promtool ----------
def promtool():
    tool = shutil.which("promtool")
    if not tool:
        # A failure, never a skip: `make test-deps` installs Debian's prometheus package, which has promtool.
        raise AssertionError("promtool is not installed (make test-deps installs Debian's `prometheus`)")
    return tool


def test_promtool(tmp_path):
    tool = promtool()
    r = subprocess.run([tool, "check", "rules", ALERTS], capture_output=True, text=True)
    check("promtool check rules alerts.yaml", r.returncode == 0 and "SUCCESS" in r.stdout, (r.stdout + r.stderr)[-800:])
    r = subprocess.run([tool, "test", "rules", ALERT_TESTS], capture_output=True, text=True, cwd=OPS)
    check("promtool test rules alerts.test.yaml", r.returncode == 0 and "SUCCESS" in r.stdout, (r.stdout + r.stderr)[-2000:])
    with open(ALERT_TESTS) as handle:
        unit_tests = handle.read()
    check("the unit tests cover the oldest pending age firing and not firing",
          "1800" in unit_tests and "'0x" in unit_tests and "SigningGatewayOutboxOldestPending" in unit_tests)

    # The same promtool run catches a rule file that is wrong: a mutated threshold fails the unit test.
    mutated = tmp_path / "alerts.yaml"
    mutated.write_text(open(ALERTS).read().replace("oldest_pending_seconds) > 900", "oldest_pending_seconds) > 3600"))
    shutil.copy(ALERT_TESTS, tmp_path / "alerts.test.yaml")
    r = subprocess.run([tool, "test", "rules", "alerts.test.yaml"], capture_output=True, text=True, cwd=tmp_path)
    check("promtool test rules fails when the oldest-pending threshold is raised to 1 h", r.returncode != 0,
          (r.stdout + r.stderr)[-500:])

    # Every dashboard query through promtool's PromQL parser, as recording rules.
    queries = dashboard_queries()
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query_{i}", "expr": as_promql(expr)} for i, (_, expr) in enumerate(queries)]}]}
    path = tmp_path / "dashboard-queries.yaml"
    path.write_text(yaml.safe_dump(rules))
    r = subprocess.run([tool, "check", "rules", str(path)], capture_output=True, text=True)
    check(f"promtool parses the dashboard's {len(queries)} queries", r.returncode == 0, (r.stdout + r.stderr)[-1500:])


# ---------- Metric names against a live gateway ----------
def scrape(gateway):
    """(sample names, {family: type}) of one GET /metrics."""
    status, _, text = http("GET", gateway.url + "/metrics")
    samples, types = set(), {}
    if status != 200:
        return samples, types
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(None, 3)
            types[family] = kind.strip()
        elif line and not line.startswith("#"):
            samples.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    return samples, types


def family_of(name, types):
    """The metric family a sample name belongs to, and its type."""
    if name in types:
        return name, types[name]
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in types:
            return name[: -len(suffix)], types[name[: -len(suffix)]]
    return None, None


def test_metric_names_exist(gateway, subscriber):
    # The built-in simulator: its `dev` profile is a real Maskinporten profile (grant + exchange), so the token
    # series exist. One subscriber endpoint always answers 500 and the schedule is one short retry: a dead letter.
    server = gateway(upstream={"environment": "simulator"},
                     events={"allowedDestinations": ["127.0.0.0/8"], "deliverySchedule": ["100ms"],
                             "deliveryJitter": 0, "trackingInitialIntervalSeconds": 0.2,
                             "trackingMaxIntervalSeconds": 1})
    auth = {"Authorization": f"Bearer {server.client_key()}", **JSON}
    subscriber.behaviour["failing"] = lambda record, nth: (500, {}, b"down")
    status, _, text = http("POST", server.url + "/v1/subscriptions",
                           json.dumps({"url": subscriber.url("failing")}), {**auth, "Idempotency-Key": '"sub-1"'})
    check("subscribe: 201", status == 201, f"{status} {text[:300]}")
    status, _, text = http("POST", server.url + "/v1/signatures",
                           json.dumps({"app": APP, "instanceId": DEMO_A, "mode": "parallel"}),
                           {**auth, "Idempotency-Key": f'"{uuid.uuid4()}"'})
    check("sign: 200", status == 200, f"{status} {text[:300]}")
    status, _, _ = http("GET", f"{server.url}/v1/instances/{APP}/{DEMO_A}/signees", headers=auth)
    check("signees: 200", status == 200, str(status))

    references = metric_references()
    wanted = {name for _, name in references}

    def all_there():
        samples, types = scrape(server)
        return (samples, types) if wanted <= samples else None

    # Counters appear with their first increment, the store-count gauges at their next refresh (every 10 s).
    found = wait_for(all_there, deadline=25, interval=0.5)
    samples, types = found or scrape(server)
    for where, name in sorted(set(references)):
        family, kind = family_of(name, types)
        check(f"{where}: {name} is a series of GET /metrics", name in samples,
              f"family {family} ({kind})" if family else "no such family")
        if name.endswith("_bucket"):
            check(f"{where}: {name} is a histogram's buckets", kind == "histogram", str(kind))
    for where, expr in [(f"alert {r['alert']}", r["expr"]) for r in alert_rules()] + \
                       [(f"panel {t}", e) for t, e in dashboard_queries()]:
        for name in rate_arguments(expr):
            if name.startswith("signing_gateway_"):
                family, kind = family_of(name, types)
                check(f"{where}: rate/increase over {name}, a counter or a histogram series",
                      kind == "counter" or (kind == "histogram" and name != family), f"{family} is {kind}")


# ---------- Backup and restore, as the runbook says ----------
def tool_path():
    """PATH with the binary under test first (`signing-gateway` in the runbook) and PostgreSQL's client tools."""
    pg = sorted(d for d in (os.path.join("/usr/lib/postgresql", v, "bin") for v in os.listdir("/usr/lib/postgresql"))
                if os.path.exists(os.path.join(d, "pg_dump"))) if os.path.isdir("/usr/lib/postgresql") else []
    return os.pathsep.join([os.path.dirname(BINARY)] + pg[-1:] + [os.environ.get("PATH", "")])


def run_block(name, blocks, **variables):
    """One runbook-test block, as written, under bash -euo pipefail with its variables set."""
    block = blocks.get(name)
    if not check(f"RUNBOOK.md has the runbook-test block {name}", block is not None, str(sorted(blocks))):
        return subprocess.CompletedProcess([], 1, "", "missing")
    for variable in set(re.findall(r"\$\{?([A-Z_][A-Z0-9_]*)", block)):
        check(f"{name}: ${variable} is set by the test", variable in variables or variable in ("PATH",), block)
    env = {**os.environ, "PATH": tool_path(), **{k: str(v) for k, v in variables.items()}}
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", block], env=env, capture_output=True, text=True,
                            timeout=120)
    check(f"runbook block {name} exits 0", result.returncode == 0,
          f"exit {result.returncode}: {(result.stdout + result.stderr)[-800:]}")
    return result


def intact_count(output):
    match = INTACT.search(output)
    return (int(match.group(1)), int(match.group(2))) if match else (None, None)


def live_count(config, public_key, env=None):
    r = subprocess.run([BINARY, "audit", "verify", "--config", config, "--public-key", public_key],
                       capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})})
    count, _ = intact_count(r.stdout)
    check("the live store verifies intact", r.returncode == 0 and count is not None, (r.stdout + r.stderr)[-400:])
    return count or 0


class Signer:
    """Signs new simulator instances through the gateway, in the background while a backup runs."""

    def __init__(self, simulator, gateway):
        self.simulator, self.gateway = simulator, gateway
        self.auth = {"Authorization": f"Bearer {gateway.client_key()}", **JSON}
        self.answers = []
        self.stop = threading.Event()
        self.thread = None

    def sign(self):
        instance = self.simulator.new_instance("A")
        status, _, _ = http("POST", self.gateway.url + "/v1/signatures",
                            json.dumps({"app": APP, "instanceId": instance, "mode": "parallel", "track": False}),
                            {**self.auth, "Idempotency-Key": f'"{uuid.uuid4()}"'})
        self.answers.append(status)
        return status

    def __enter__(self):
        self.stop.clear()

        def loop():
            while not self.stop.is_set():
                self.sign()
        self.thread = threading.Thread(target=loop, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=30)


def check_restored(label, output, before, after):
    count, matched = intact_count(output)
    check(f"{label}: audit verify says intact", count is not None, output[-400:])
    if count is not None:
        check(f"{label}: record count between the live counts before ({before}) and after ({after}) the backup",
              before <= count <= after, str(count))
        check(f"{label}: the checkpoint taken before the backup and the stored ones matched", matched >= 1, output[-300:])


def test_sqlite_backup_and_restore(work, simulator, gateway):
    server = gateway()
    signer = Signer(simulator, server)
    for _ in range(3):
        check("sign before the backup: 200", signer.sign() == 200)
    blocks = runbook_blocks()
    public_key = os.path.join(work, "audit-checkpoint.pub")
    run_block("audit-public-key", blocks, CONFIG=server.config_path, AUDIT_PUBLIC_KEY=public_key)
    database = os.path.join(work, "signing-gateway.sqlite")
    os.makedirs(os.path.join(work, "backups"))

    for method in ("sqlite-backup", "sqlite-vacuum-into"):
        backup = os.path.join(work, "backups", f"{method}.sqlite")
        before = live_count(server.config_path, public_key)
        signed = len(signer.answers)
        with signer:  # the gateway keeps signing while the copy is taken
            wait_for(lambda: len(signer.answers) >= signed + 2, deadline=20)
            run_block(method, blocks, CONFIG=server.config_path, SQLITE_DB=database, BACKUP=backup)
        after = live_count(server.config_path, public_key)
        check(f"{method}: signs went on during the backup, all 200",
              len(signer.answers) >= signed + 2 and set(signer.answers) == {200}, str(signer.answers[signed:][-10:]))
        check_dir = os.path.join(work, f"check-{method}")
        result = run_block("sqlite-check", blocks, CONFIG=server.config_path, BACKUP=backup, CHECK_DIR=check_dir,
                           AUDIT_PUBLIC_KEY=public_key)
        check_restored(method, result.stdout, before, after)

    # The check can fail: one record changed in a copy (its triggers dropped first) is reported broken.
    check_dir = os.path.join(work, "check-sqlite-vacuum-into")
    copy = os.path.join(check_dir, "signing-gateway.sqlite")
    subprocess.run(["sqlite3", copy, "DROP TRIGGER IF EXISTS audit_log_no_update; "
                    "UPDATE audit_log SET outcome = 'tampered' WHERE sequence = 2;"], check=True, capture_output=True)
    r = run_binary("audit", "verify", "--config", os.path.join(check_dir, "config.json"), "--public-key", public_key)
    check("a copy with record 2 changed: verify exits 1 naming record 2",
          r.returncode == 1 and "BROKEN at record 2" in r.stdout, (r.stdout + r.stderr)[-400:])

    check_schedules(server.config_path, public_key)


def test_postgres_backup_and_restore(work, simulator, gateway, postgres_database, postgres_url):
    url = postgres_database("sg_ops_")
    server = gateway(storage={"engine": "postgres", "postgresURL": url})
    signer = Signer(simulator, server)
    for _ in range(3):
        check("sign before the backup: 200", signer.sign() == 200)
    blocks = runbook_blocks()
    public_key = os.path.join(work, "audit-checkpoint.pub")
    run_block("audit-public-key", blocks, CONFIG=server.config_path, AUDIT_PUBLIC_KEY=public_key)
    backup = os.path.join(work, "signing-gateway.dump")

    before = live_count(server.config_path, public_key)
    with signer:  # the gateway keeps signing while pg_dump runs
        wait_for(lambda: len(signer.answers) >= 5, deadline=20)
        run_block("postgres-backup", blocks, CONFIG=server.config_path, DATABASE_URL=url, BACKUP=backup)
    after = live_count(server.config_path, public_key)
    check("postgres: signs went on during pg_dump, all 200", len(signer.answers) >= 5 and set(signer.answers) == {200},
          str(signer.answers[-10:]))

    parsed = urllib.parse.urlparse(postgres_url)
    check_db = "sg_ops_check_" + uuid.uuid4().hex[:12]
    check_url = parsed._replace(path="/" + check_db).geturl()
    result = run_block("postgres-check", blocks, CONFIG=server.config_path, BACKUP=backup,
                       ADMIN_URL=parsed._replace(path="/postgres").geturl(), CHECK_DB=check_db, CHECK_URL=check_url,
                       AUDIT_PUBLIC_KEY=public_key)
    check_restored("postgres", result.stdout, before, after)

    # The check can fail: one record changed in the restored copy is reported broken.
    psql = os.path.join(tool_path().split(os.pathsep)[1], "psql")
    subprocess.run([psql, check_url, "-q", "-v", "ON_ERROR_STOP=1", "-c",
                    "ALTER TABLE audit_log DISABLE TRIGGER USER; UPDATE audit_log SET outcome = 'tampered' WHERE sequence = 2;"],
                   check=True, capture_output=True)
    r = subprocess.run([BINARY, "audit", "verify", "--config", server.config_path, "--public-key", public_key],
                       capture_output=True, text=True, timeout=60,
                       env={**os.environ, "SIGNING_GATEWAY_POSTGRES_URL": check_url})
    check("postgres: a restored copy with record 2 changed: verify exits 1 naming record 2",
          r.returncode == 1 and "BROKEN at record 2" in r.stdout, (r.stdout + r.stderr)[-400:])


# ---------- The scheduled verify ----------
def check_schedules(config, public_key):
    """The CronJob's and the systemd unit's command lines, run as written against the live store (paths mapped
    to the test's), and their manifests validated."""
    with open(CRONJOB) as handle:
        docs = [d for d in yaml.safe_load_all(handle) if d]
    cronjob = next((d for d in docs if d.get("kind") == "CronJob"), {})
    pod = cronjob.get("spec", {}).get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})
    container = (pod.get("containers") or [{}])[0]
    args = container.get("args", [])
    check("CronJob: runs `audit verify --config /etc/signing-gateway/config.json`",
          args[:2] == ["audit", "verify"] and "--config" in args, str(args))
    mounts = container.get("volumeMounts", [])
    check("CronJob: no subPath mounts (a rotated Secret must reach the files)", not any("subPath" in m for m in mounts))
    check("CronJob: a failed verify is not retried away", cronjob["spec"]["jobTemplate"]["spec"].get("backoffLimit") == 0)
    labels = pod and cronjob["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    check("CronJob: its pods are not selected by the gateway's Service",
          labels.get("app.kubernetes.io/name") != "signing-gateway", str(labels))
    mapped = [config if a == "/etc/signing-gateway/config.json" else a for a in args]
    r = run_binary(*mapped, "--public-key", public_key)
    check("CronJob args verify the live store", r.returncode == 0 and intact_count(r.stdout)[0] is not None,
          (r.stdout + r.stderr)[-400:])

    with open(VERIFY_UNIT) as handle:
        unit = handle.read()
    exec_start = re.search(r"^ExecStart=(.+)$", unit, re.M)
    check("systemd unit: one ExecStart", exec_start is not None)
    if exec_start:
        argv = exec_start.group(1).split()
        check("systemd unit: ExecStart is the installed binary's `audit verify`",
              argv[0] == "/opt/signing-gateway/signing-gateway" and argv[1:3] == ["audit", "verify"], str(argv))
        mapped = [{"/etc/signing-gateway/config.json": config,
                   "/etc/signing-gateway/audit-checkpoint.pub": public_key}.get(a, a) for a in argv[1:]]
        r = run_binary(*mapped)
        check("systemd ExecStart verifies the live store", r.returncode == 0 and intact_count(r.stdout)[0] is not None,
              (r.stdout + r.stderr)[-400:])
    check("systemd unit: the gateway's dynamic user (shared uid, same state directory)",
          re.search(r"^User=signing-gateway$", unit, re.M) and re.search(r"^StateDirectory=signing-gateway$", unit, re.M))
    check("systemd timer: daily and Persistent", re.search(r"^OnCalendar=", open(VERIFY_TIMER).read(), re.M)
          and "Persistent=true" in open(VERIFY_TIMER).read())

    import kubernetes_validate  # noqa: F401  (test-deps installs it; an ImportError fails the test)
    r = subprocess.run([sys.executable, "-m", "kubernetes_validate", "--strict", "--quiet", "-k", K8S_VERSION, CRONJOB],
                       capture_output=True, text=True)
    check("kubernetes-validate --strict: audit-verify-cronjob.yaml", r.returncode == 0, (r.stdout + r.stderr)[-800:])

    analyze = shutil.which("systemd-analyze")
    # make test-deps installs it (Debian's systemd); a missing tool is a failure, never a skipped check.
    check("systemd-analyze is installed", analyze is not None)
    if not analyze:
        return
    with tempfile.TemporaryDirectory() as tmp:
        # verify wants ExecStart's binary to exist: a stand-in, the unit otherwise as written.
        stand_in = os.path.join(tmp, "signing-gateway")
        shutil.copy("/bin/true", stand_in)
        for source in (VERIFY_UNIT, VERIFY_TIMER):
            with open(os.path.join(tmp, os.path.basename(source)), "w") as out:
                out.write(open(source).read().replace("/opt/signing-gateway/signing-gateway audit", stand_in + " audit"))
        r = subprocess.run([analyze, "verify", *(os.path.join(tmp, os.path.basename(s)) for s in (VERIFY_UNIT, VERIFY_TIMER))],
                           capture_output=True, text=True)
        check("systemd-analyze verify: audit-verify service and timer",
              r.returncode == 0 and "audit-verify" not in r.stderr, r.stderr.strip())
