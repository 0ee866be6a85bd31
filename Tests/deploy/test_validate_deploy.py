"""Static (and, when a built binary is at hand, runtime) checks of deploy/, one test per artefact.

No Docker engine, cluster or systemd PID 1 is needed: the Dockerfile and compose file are checked
structurally, the Kubernetes manifests with kubernetes-validate's offline schemas (--strict), the
systemd unit with `systemd-analyze verify` and `security --offline`. When a signing-gateway binary
exists (SG_BINARY, else SIGNING_GATEWAY_BIN, else .build/release or .build/debug) it is also run under
PR_SET_MDWE (what MemoryDenyWriteExecute= does) and strace, to check the unit's hardening against the real
binary. What this machine cannot check (no binary, no systemd-analyze, a kernel without PR_SET_MDWE) is
listed under "not checked" in the run's summary, never counted as passed.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import yaml

from support import ROOT, check, http, note

DEPLOY = os.path.join(ROOT, "deploy")
K8S = os.path.join(DEPLOY, "kubernetes")
K8S_VERSION = "1.29.0"  # oldest Kubernetes the manifests target (autoscaling/v2, policy/v1)

def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# ------------------------------------------------------------------------------------------------
# Configuration keys the gateway accepts, read from its Swift source (unknown keys are refused at
# start, so an example with a typo would not run).


def accepted_config_keys():
    sections = {}
    config_dir = os.path.join(ROOT, "Sources", "App", "Configuration")
    pattern = re.compile(
        r"extension\s+([\w.]+)\s*:\s*Decodable\s*\{\s*enum\s+CodingKeys[^{]*\{(.*?)\}", re.S)
    for name in sorted(os.listdir(config_dir)):
        if not name.endswith(".swift"):
            continue
        for type_name, body in pattern.findall(read(os.path.join(config_dir, name))):
            keys = set()
            for line in body.splitlines():
                line = line.split("//")[0].strip()
                if line.startswith("case "):
                    for item in line[5:].split(","):
                        item = item.strip()
                        if "=" in item:  # case key = "raw"
                            item = item.split("=", 1)[1].strip().strip('"')
                        if item:
                            keys.add(item)
            sections[type_name.split(".")[-1]] = keys
    return sections.get("GatewayConfiguration", set()), sections


DEFAULT_DRAIN_SECONDS = 45
DEFAULT_UPSTREAM_TIMEOUT_MS = 10_000


def drain_seconds(config):
    return config.get("drainTimeoutSeconds", DEFAULT_DRAIN_SECONDS)


def worst_case_request_seconds(config):
    """What the gateway allows one request at most (GatewayConfiguration.worstCaseRequestSeconds)."""
    return -(-4 * config.get("upstream", {}).get("timeoutMilliseconds", DEFAULT_UPSTREAM_TIMEOUT_MS) // 1000)


def k8s_config():
    cm = k8s_docs().get("ConfigMap", {})
    files = cm.get("data", {})
    text = next((v for k, v in files.items() if k.endswith(".json")), "{}")
    return json.loads(text)


def check_config(label, config):
    top, sections = accepted_config_keys()
    unknown = set(config) - top
    check(f"{label}: top-level keys are accepted", not unknown, f"unknown {sorted(unknown)}")
    unknown = set(config.get("upstream", {})) - sections.get("Upstream", set())
    check(f"{label}: upstream keys are accepted", not unknown, f"unknown {sorted(unknown)}")
    bad = {}
    for name, profile in config.get("tokenProfiles", {}).items():
        extra = set(profile) - sections.get("TokenProfile", set())
        if extra or profile.get("kind") not in ("static", "maskinporten"):
            bad[name] = sorted(extra) or profile.get("kind")
    check(f"{label}: token profiles are well-formed", not bad, str(bad))
    check(f"{label}: defaultTokenProfile is a configured profile",
          config.get("defaultTokenProfile") in config.get("tokenProfiles", {}))
    storage = config.get("storage", {})
    # The Swift type is GatewayConfiguration.StorageSettings (it no longer shadows the Storage module).
    unknown = set(storage) - sections.get("StorageSettings", set())
    check(f"{label}: storage keys are accepted", not unknown, f"unknown {sorted(unknown)}")
    unknown = set(config.get("events", {})) - sections.get("Events", set())
    check(f"{label}: events keys are accepted", not unknown, f"unknown {sorted(unknown)}")
    unknown = set(config.get("audit", {})) - sections.get("Audit", set())
    check(f"{label}: audit keys are accepted", not unknown, f"unknown {sorted(unknown)}")
    url = storage.get("postgresURL", "")
    check(f"{label}: no password inside postgresURL", not re.match(r"^[a-z]+://[^/@]*:[^/@]*@", url), url)
    check(f"{label}: the drain outlasts the longest request (4 x upstream.timeoutMilliseconds)",
          drain_seconds(config) >= worst_case_request_seconds(config),
          f"drain {drain_seconds(config)} s < {worst_case_request_seconds(config)} s")


def seconds(text):
    """`60s`, `2m` or a bare number of seconds, as compose and nginx write durations."""
    match = re.fullmatch(r"\s*(\d+)\s*(ms|s|m|h)?\s*", str(text))
    if not match:
        return None
    value, unit = int(match.group(1)), match.group(2) or "s"
    return value * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]


# ------------------------------------------------------------------------------------------------
SECRETISH = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE|API_?KEY|CLIENT_?KEY)", re.I)


def test_dockerfile():
    text = read(os.path.join(DEPLOY, "Dockerfile"))
    lines = []
    for raw in re.sub(r"\\\n", " ", text).splitlines():
        raw = raw.strip()
        if raw and not raw.startswith("#"):
            lines.append(raw)
    args = {m.group(1): m.group(2) for m in (re.match(r"ARG\s+(\w+)=(\S+)", l) for l in lines) if m}
    stages = []
    for line in lines:
        m = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.I)
        if m:
            image = re.sub(r"\$\{(\w+)\}", lambda v: args.get(v.group(1), v.group(0)), m.group(1))
            stages.append((image, (m.group(2) or "").lower(), []))
        elif stages:
            stages[-1][2].append(line)
    check("Dockerfile: two stages", len(stages) == 2, str([s[0] for s in stages]))
    if len(stages) != 2:
        return
    (build_image, build_name, build), (run_image, _, runtime) = stages
    check("Dockerfile: build stage is Swift 6.3 on bookworm", build_image.startswith("swift:6.3") and "bookworm" in build_image, build_image)
    check("Dockerfile: runtime stage is debian:bookworm-slim", run_image == "debian:bookworm-slim", run_image)
    build_text = "\n".join(build)
    check("Dockerfile: release build with --static-swift-stdlib",
          re.search(r"swift build -c release --static-swift-stdlib", build_text) is not None)
    check("Dockerfile: the resource bundle is copied next to the binary",
          "signing-gateway_GatewayHTTP.resources" in build_text
          and any("COPY --from=" + build_name in l and "/usr/local/bin/signing-gateway_GatewayHTTP.resources" in l for l in runtime))
    run_text = "\n".join(runtime)
    for package in ("libcurl4", "ca-certificates", "libsqlite3-0"):
        check(f"Dockerfile: runtime installs {package}", re.search(rf"install[^\n]*\b{re.escape(package)}\b", run_text) is not None)
    check("Dockerfile: apt lists removed in the runtime", "rm -rf /var/lib/apt/lists/*" in run_text)
    users = [l.split(None, 1)[1] for l in runtime if l.upper().startswith("USER ")]
    check("Dockerfile: runs as a numeric non-root user",
          bool(users) and re.match(r"^[1-9]\d*(:[1-9]\d*)?$", users[-1]) is not None, str(users))
    last_user = max(i for i, l in enumerate(runtime) if l.upper().startswith("USER ")) if users else -1
    check("Dockerfile: nothing runs as root after USER",
          not any(l.upper().startswith("RUN ") for l in runtime[last_user + 1:]))
    health = [l for l in runtime if l.upper().startswith("HEALTHCHECK")]
    check("Dockerfile: HEALTHCHECK on /healthz", len(health) == 1 and "/healthz" in health[0], str(health))
    check("Dockerfile: /data volume and data directory",
          any(l.startswith("VOLUME") and "/data" in l for l in runtime) and "SIGNING_GATEWAY_DATA_DIR=/data" in run_text)
    check("Dockerfile: exec-form ENTRYPOINT", any(re.match(r'ENTRYPOINT\s+\["/usr/local/bin/signing-gateway"\]', l) for l in runtime))
    env_names = re.findall(r"(?:ENV|ARG)\s+(\w+)", text) + re.findall(r"\s(\w+)=", " ".join(l for l in lines if l.startswith("ENV")))
    check("Dockerfile: no secret in ENV/ARG", not [n for n in env_names if SECRETISH.search(n)], str(env_names))
    copies = [l for l in lines if l.upper().startswith(("COPY", "ADD"))]
    check("Dockerfile: no key, token or local data copied",
          not [c for c in copies if re.search(r"\.pem|\.key|secrets|\.signing-gateway|token", c)], str(copies))
    ignore = read(os.path.join(DEPLOY, "Dockerfile.dockerignore")).split()
    for entry in (".build*", ".signing-gateway", "deploy/compose/secrets", "*.pem", "*.key"):
        check(f"Dockerfile.dockerignore excludes {entry}", entry in ignore)


# ------------------------------------------------------------------------------------------------
def test_compose():
    path = os.path.join(DEPLOY, "compose.yaml")
    compose = yaml.safe_load(read(path))
    services = compose.get("services", {})
    check("compose: services postgres, simulator, two gateways, lb",
          {"postgres", "simulator", "gateway-1", "gateway-2", "lb"} <= set(services), str(sorted(services)))
    for name, service in services.items():
        hc = service.get("healthcheck", {})
        check(f"compose: {name} has a healthcheck", isinstance(hc.get("test"), list) and not hc.get("disable"))
        env = service.get("environment", {})
        env = dict(e.split("=", 1) for e in env) if isinstance(env, list) else env
        inline = [k for k in env if SECRETISH.search(k) and not k.endswith("_FILE")]
        check(f"compose: {name} has no secret in its environment", not inline, str(inline))
        for target, spec in (service.get("depends_on") or {}).items():
            cond = spec.get("condition") if isinstance(spec, dict) else None
            check(f"compose: {name} waits for {target} to be healthy", cond == "service_healthy", str(cond))
    secrets = compose.get("secrets", {})
    check("compose: secrets are files, not inline values",
          secrets and all(set(s) == {"file"} for s in secrets.values()), str(secrets))
    check("compose: secret files are git-ignored",
          "secrets/" in read(os.path.join(DEPLOY, "compose", ".gitignore")).split())
    pg = services.get("postgres", {})
    check("compose: postgres takes its password from the secret",
          pg.get("environment", {}).get("POSTGRES_PASSWORD_FILE") == "/run/secrets/postgres-password"
          and "postgres-password" in pg.get("secrets", []))
    sim = services.get("simulator", {})
    check("compose: simulator runs `simulate`", (sim.get("command") or [None])[0] == "simulate")
    config_target = None
    for name in ("gateway-1", "gateway-2"):
        gw = services.get(name, {})
        cmd = gw.get("command", [])
        check(f"compose: {name} runs serve --config", cmd[:2] == ["serve", "--config"], str(cmd))
        config_target = cmd[2] if len(cmd) > 2 else None
        mounted = [c.get("target") for c in gw.get("configs", [])]
        check(f"compose: {name} mounts its config at {config_target}", config_target in mounted, str(mounted))
        sec = {s["source"]: s.get("target") for s in gw.get("secrets", [])}
        check(f"compose: {name} gets the PostgreSQL password and the client key",
              sec.get("postgres-password") == "postgres-password" and sec.get("client-key") == "/data/dev-client.key", str(sec))
        check(f"compose: {name} shares the sealing and checkpoint keys with the other replica",
              sec.get("subscription-secrets-key") == "subscription-secrets.key"
              and sec.get("audit-checkpoint-key") == "audit-checkpoint.key", str(sec))
        check(f"compose: {name} is hardened (read-only, no capabilities)",
              gw.get("read_only") is True and gw.get("cap_drop") == ["ALL"] and "/tmp" in gw.get("tmpfs", []))
        vols = gw.get("volumes", [])
        check(f"compose: {name} has its own data volume and the simulator token read-only",
              f"{name}-data:/data" in vols and "simulator-data:/simulator:ro" in vols, str(vols))
    config = json.loads(read(os.path.join(DEPLOY, "compose", "gateway.json")))
    check_config("compose gateway.json", config)
    storage = config.get("storage", {})
    check("compose gateway.json: engine postgres on the postgres service, password from the secret",
          storage.get("engine") == "postgres" and "@postgres:5432/" in storage.get("postgresURL", "")
          and storage.get("postgresPasswordFile") == "/run/secrets/postgres-password")
    check("compose gateway.json: the sealing and checkpoint keys are the shared secrets",
          config.get("events", {}).get("secretKeyFile") == "/run/secrets/subscription-secrets.key"
          and config.get("audit", {}).get("checkpointKeyFile") == "/run/secrets/audit-checkpoint.key")
    check("compose gateway.json: upstream is the simulator service",
          config.get("upstream", {}).get("environment") == "http://simulator:8081")
    check("compose gateway.json: token file is the simulator's",
          config["tokenProfiles"][config["defaultTokenProfile"]].get("tokenFile") == "/simulator/simulator.token")
    lb = services.get("lb", {})
    nginx_conf = os.path.join(DEPLOY, "compose", "nginx.conf")
    check("compose: lb config lives in deploy/", "./compose/nginx.conf:/etc/nginx/nginx.conf:ro" in lb.get("volumes", []))
    conf = read(nginx_conf)
    check("nginx.conf: both replicas upstream", "server gateway-1:8080" in conf and "server gateway-2:8080" in conf)
    read_timeouts = [seconds(l.split()[1].rstrip(";")) for l in conf.splitlines()
                     if l.strip().startswith("proxy_read_timeout ")]
    check("nginx.conf: proxy_read_timeout outlasts the gateway's longest request",
          read_timeouts and all(t is not None and t >= worst_case_request_seconds(config) for t in read_timeouts),
          f"{read_timeouts} < {worst_case_request_seconds(config)} s")
    for name in ("gateway-1", "gateway-2"):
        grace = seconds(services.get(name, {}).get("stop_grace_period", "10s"))
        check(f"compose: {name} stop_grace_period covers the drain", grace is not None and grace >= drain_seconds(config) + 5,
              f"{grace} s < drain {drain_seconds(config)} s + 5")
    retry = [l.split("#")[0] for l in conf.splitlines() if l.strip().startswith("proxy_next_upstream ")]
    check("nginx.conf: never re-sends a non-idempotent request (a sign)", retry and not any("non_idempotent" in l for l in retry))
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx:
        with tempfile.TemporaryDirectory() as tmp:
            # Service names do not resolve here: point them at loopback for the syntax check.
            local = conf.replace("gateway-1:8080", "127.0.0.1:18080").replace("gateway-2:8080", "127.0.0.1:18081")
            local = local.replace("pid /tmp/nginx.pid;", f"pid {tmp}/nginx.pid;")
            with open(os.path.join(tmp, "nginx.conf"), "w") as f:
                f.write(local)
            r = subprocess.run([nginx, "-t", "-q", "-p", tmp, "-c", os.path.join(tmp, "nginx.conf")],
                               capture_output=True, text=True)
            check("nginx.conf: nginx -t", r.returncode == 0, r.stderr.strip())
    else:
        # Not a skip: without nginx the load balancer's configuration goes unchecked (`make validate-deploy`
        # installs it).
        check("nginx.conf: nginx -t", False, "nginx is not installed (apt-get install nginx)")


# ------------------------------------------------------------------------------------------------
def k8s_docs():
    docs = {}
    for name in sorted(os.listdir(K8S)):
        if name.endswith(".yaml") and name != "kustomization.yaml":
            for doc in yaml.safe_load_all(read(os.path.join(K8S, name))):
                if doc:
                    docs[doc["kind"]] = doc
    return docs


def test_kubernetes():
    files = sorted(os.path.join(K8S, n) for n in os.listdir(K8S) if n.endswith(".yaml") and n != "kustomization.yaml")
    files.append(os.path.join(K8S, "examples", "secret.example.yaml"))
    # As a module: the pip-installed script may not be on PATH (pyenv shims, --user installs).
    try:
        import kubernetes_validate  # noqa: F401
        kv = [sys.executable, "-m", "kubernetes_validate"]
    except ImportError:
        kv = None
    if not kv:
        check("kubernetes-validate is installed", False, "run `make validate-deploy` (installs it from PyPI)")
    else:
        for path in files:
            r = subprocess.run(kv + ["--strict", "--quiet", "-k", K8S_VERSION, path], capture_output=True, text=True)
            check(f"kubernetes-validate --strict -k {K8S_VERSION} {os.path.relpath(path, ROOT)}",
                  r.returncode == 0, (r.stdout + r.stderr).strip())
        # Negative control: the validator must reject an unknown field (proves strict mode works offline).
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write("apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {bogus: 1, ports: [{port: 80}]}\n")
        r = subprocess.run(kv + ["--strict", "--quiet", "-k", K8S_VERSION, f.name], capture_output=True, text=True)
        os.unlink(f.name)
        check("kubernetes-validate rejects an unknown field (negative control)", r.returncode != 0)

    kust = yaml.safe_load(read(os.path.join(K8S, "kustomization.yaml")))
    resources = kust.get("resources", [])
    check("kustomization: lists every manifest, in apply order, not the example Secret",
          sorted(resources) == sorted(os.path.basename(p) for p in files[:-1]) and resources[0] == "namespace.yaml"
          and not any("secret" in r for r in resources), str(resources))

    docs = k8s_docs()
    for kind in ("Namespace", "ConfigMap", "Deployment", "Service", "PodDisruptionBudget",
                 "HorizontalPodAutoscaler", "NetworkPolicy"):
        check(f"kubernetes: {kind} present", kind in docs)
    check("kubernetes: no Secret among the applied manifests", "Secret" not in docs)
    dep = docs.get("Deployment", {})
    spec = dep.get("spec", {})
    pod = spec.get("template", {}).get("spec", {})
    c = (pod.get("containers") or [{}])[0]
    check("deployment: 3 replicas", spec.get("replicas") == 3)
    labels = spec.get("template", {}).get("metadata", {}).get("labels", {})
    check("deployment: selector matches template labels",
          all(labels.get(k) == v for k, v in spec.get("selector", {}).get("matchLabels", {}).items()))
    check("deployment: liveness on /healthz", c.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/healthz")
    check("deployment: readiness on /readyz",
          c.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/readyz")
    check("deployment: readiness probe outlasts the gateway's 2 s check deadline",
          c.get("readinessProbe", {}).get("timeoutSeconds", 1) > 2)
    # Every key of the Secret the pods mount is made by the README's `kubectl create secret` (a key it leaves
    # out keeps every pod from starting), and the keys replicas must share come from that Secret, not /data.
    mounted = {item["key"] for volume in pod.get("volumes", []) if "secret" in volume
               for item in volume["secret"].get("items", [])}
    readme = read(os.path.join(ROOT, "README.md"))
    created = set(re.findall(r"--from-file=([\w.-]+)=", readme.split("### Kubernetes", 1)[-1].split("###", 1)[0]))
    check("README: `kubectl create secret` makes every key the deployment mounts", mounted and mounted <= created,
          f"missing {sorted(mounted - created)}")
    shared = k8s_config()
    for key, path in (("events.secretKeyFile", shared.get("events", {}).get("secretKeyFile")),
                      ("audit.checkpointKeyFile", shared.get("audit", {}).get("checkpointKeyFile"))):
        check(f"configmap: {key} is a shared Secret file, not each replica's own", bool(path)
              and path.startswith("/run/secrets/signing-gateway/") and path.rsplit("/", 1)[-1] in mounted, str(path))
    pre_stop = c.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    pre_stop_seconds = int(pre_stop[-1]) if pre_stop and str(pre_stop[-1]).isdigit() else 0
    drain = drain_seconds(k8s_config())
    check("deployment: grace period covers preStop + the drain",
          pod.get("terminationGracePeriodSeconds", 30) >= pre_stop_seconds + drain,
          f"grace {pod.get('terminationGracePeriodSeconds')} < preStop {pre_stop_seconds} + drain {drain}")
    res = c.get("resources", {})
    check("deployment: cpu/memory requests and limits",
          {"cpu", "memory"} <= set(res.get("requests", {})) and {"cpu", "memory"} <= set(res.get("limits", {})))
    psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
    check("deployment: runAsNonRoot", psc.get("runAsNonRoot") is True and csc.get("runAsNonRoot") is True)
    check("deployment: runAsUser matches the image's uid 10001", psc.get("runAsUser") == 10001)
    check("deployment: readOnlyRootFilesystem", csc.get("readOnlyRootFilesystem") is True)
    check("deployment: allowPrivilegeEscalation false", csc.get("allowPrivilegeEscalation") is False)
    check("deployment: capabilities drop ALL", csc.get("capabilities", {}).get("drop") == ["ALL"])
    check("deployment: seccomp RuntimeDefault",
          psc.get("seccompProfile", {}).get("type") == "RuntimeDefault" == csc.get("seccompProfile", {}).get("type"))
    check("deployment: no service account token", pod.get("automountServiceAccountToken") is False)
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    check("deployment: /tmp is an emptyDir", "emptyDir" in volumes.get(mounts.get("/tmp", {}).get("name"), {}))
    check("deployment: /data is an emptyDir", "emptyDir" in volumes.get(mounts.get("/data", {}).get("name"), {}))
    check("deployment: no env var carries a literal secret",
          not [e for e in c.get("env", []) if SECRETISH.search(e["name"]) and "value" in e])
    secret_vols = [v for v in volumes.values() if "secret" in v]
    check("deployment: secrets come from an external Secret (reference only)",
          secret_vols and all(v["secret"].get("secretName") == "signing-gateway-secrets" for v in secret_vols))
    args = c.get("args", [])
    config_path = args[args.index("--config") + 1] if "--config" in args else ""
    cm_mount = [m for m in c.get("volumeMounts", []) if volumes.get(m["name"], {}).get("configMap")]
    check("deployment: --config file is on the ConfigMap mount",
          cm_mount and config_path == os.path.join(cm_mount[0]["mountPath"], "config.json"), config_path)
    config = json.loads(docs.get("ConfigMap", {}).get("data", {}).get("config.json", "{}"))
    check_config("kubernetes config.json", config)
    # Every secret path in the config is a file of the mounted Secret.
    secret_mount = [m for m in c.get("volumeMounts", []) if volumes.get(m["name"], {}).get("secret") and "subPath" not in m]
    items = {os.path.join(secret_mount[0]["mountPath"], i["path"]) for i in secret_vols[0]["secret"].get("items", [])} if secret_mount and secret_vols else set()
    wanted = [config.get("storage", {}).get("postgresPasswordFile")] + [
        p.get("keyFile") or p.get("tokenFile") for p in config.get("tokenProfiles", {}).values()] + [
        config.get("events", {}).get("altinnEventsSecretFile")]
    check("kubernetes config.json: secret files are in the Secret volume", all(w in items for w in wanted), f"{wanted} vs {sorted(items)}")
    example = yaml.safe_load(read(os.path.join(K8S, "examples", "secret.example.yaml")))
    keys = {i["key"] for i in secret_vols[0]["secret"].get("items", [])} if secret_vols else set()
    data = example.get("stringData", {})
    check("secret.example.yaml: has every key the Deployment mounts", keys <= set(data), f"{keys} vs {set(data)}")
    check("secret.example.yaml: every value is a REPLACE_ME placeholder", data and all("REPLACE_ME" in v for v in data.values()))
    check("secret.example.yaml: says it is an example", "EXAMPLE ONLY" in read(os.path.join(K8S, "examples", "secret.example.yaml")))
    svc = docs.get("Service", {}).get("spec", {})
    check("service: selects the pods", svc.get("selector") == {"app.kubernetes.io/name": "signing-gateway"})
    pdb = docs.get("PodDisruptionBudget", {})
    check("pdb: policy/v1 with maxUnavailable or minAvailable",
          pdb.get("apiVersion") == "policy/v1" and ({"maxUnavailable", "minAvailable"} & set(pdb.get("spec", {}))))
    hpa = docs.get("HorizontalPodAutoscaler", {})
    check("hpa: autoscaling/v2, min 3, targets the Deployment",
          hpa.get("apiVersion") == "autoscaling/v2" and hpa["spec"]["minReplicas"] == 3
          and hpa["spec"]["scaleTargetRef"]["name"] == dep["metadata"]["name"])
    np = docs.get("NetworkPolicy", {}).get("spec", {})
    check("networkpolicy: governs ingress and egress", sorted(np.get("policyTypes", [])) == ["Egress", "Ingress"])
    ingress = np.get("ingress", [])
    check("networkpolicy: ingress only from labelled clients",
          ingress and all(all("podSelector" in p and p["podSelector"].get("matchLabels") for p in r.get("from", [])) for r in ingress))
    egress_ports = {(p.get("protocol"), p.get("port")) for r in np.get("egress", []) for p in r.get("ports", [])}
    check("networkpolicy: egress DNS, PostgreSQL, HTTPS",
          {("UDP", 53), ("TCP", 53), ("TCP", 5432), ("TCP", 443)} <= egress_ports, str(egress_ports))
    check("networkpolicy: every egress rule is port-restricted", all(r.get("ports") for r in np.get("egress", [])))
    blocks = [p["ipBlock"] for r in np.get("egress", []) for p in r.get("to", []) if "ipBlock" in p]
    check("networkpolicy: the public HTTPS rule excludes private ranges",
          all({"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"} <= set(b.get("except", [])) for b in blocks))


# ------------------------------------------------------------------------------------------------
UNIT = os.path.join(DEPLOY, "systemd", "signing-gateway.service")


def unit_settings():
    settings = {}
    for line in read(UNIT).splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            k, v = line.split("=", 1)
            settings.setdefault(k, []).append(v)
    return settings


def test_systemd():
    s = unit_settings()
    one = lambda k: (s.get(k) or [None])[-1]
    for key, value in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ProtectHome", "yes"),
                       ("PrivateTmp", "yes"), ("DynamicUser", "yes"), ("StateDirectory", "signing-gateway"),
                       ("CapabilityBoundingSet", ""), ("MemoryDenyWriteExecute", "yes"),
                       ("SystemCallArchitectures", "native")):
        check(f"systemd: {key}={value}", one(key) == value, str(one(key)))
    check("systemd: SystemCallFilter=@system-service", "@system-service" in (s.get("SystemCallFilter") or []))
    check("systemd: ReadWritePaths is the state directory only", s.get("ReadWritePaths") == ["/var/lib/signing-gateway"])
    check("systemd: RestrictAddressFamilies set", bool(one("RestrictAddressFamilies")))
    exec_start = one("ExecStart") or ""
    check("systemd: ExecStart serve --config … --data-dir /var/lib/signing-gateway",
          " serve " in exec_start and "--config" in exec_start and "--data-dir /var/lib/signing-gateway" in exec_start)
    check("systemd: no secret in Environment=", not [e for e in s.get("Environment", []) if SECRETISH.search(e.split("=")[0])])
    config = json.loads(read(os.path.join(DEPLOY, "systemd", "config.example.json")))
    check_config("systemd config.example.json", config)
    nofile = one("LimitNOFILE") or ""
    check("systemd: LimitNOFILE raised above the 1024 default", nofile.isdigit() and int(nofile) >= 16384, nofile)
    stop = seconds(one("TimeoutStopSec") or "90")
    check("systemd: TimeoutStopSec covers the drain", stop is not None and stop >= drain_seconds(config) + 5,
          f"{stop} s < drain {drain_seconds(config)} s + 5")
    creds = {c.lstrip("-").split(":")[0] for c in s.get("LoadCredential", [])}
    paths = [config.get("storage", {}).get("postgresPasswordFile")] + [
        p.get("keyFile") or p.get("tokenFile") for p in config.get("tokenProfiles", {}).values()] + [
        config.get("events", {}).get("altinnEventsSecretFile")]
    paths = [p for p in paths if p]
    check("systemd config.example.json: secret files are LoadCredential= credentials",
          all(p.startswith("/run/credentials/signing-gateway.service/") and os.path.basename(p) in creds for p in paths), str(paths))
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        note("systemd-analyze verify", "systemd-analyze is not installed")
        return
    with tempfile.TemporaryDirectory() as tmp:
        # verify wants ExecStart's binary to exist: point it at a stand-in, same unit otherwise.
        stand_in = os.path.join(tmp, "signing-gateway")
        shutil.copy("/bin/true", stand_in)
        unit = os.path.join(tmp, "signing-gateway.service")
        with open(unit, "w") as f:
            f.write(read(UNIT).replace("/opt/signing-gateway/signing-gateway serve", stand_in + " serve"))
        r = subprocess.run([analyze, "verify", unit], capture_output=True, text=True)
        check("systemd-analyze verify", r.returncode == 0 and "signing-gateway.service" not in r.stderr, r.stderr.strip())
        r = subprocess.run([analyze, "security", "--offline=yes", "--threshold=20", unit], capture_output=True, text=True)
        m = re.search(r"Overall exposure level for \S+: ([\d.]+)", r.stdout + r.stderr)
        score = float(m.group(1)) if m else 99
        check(f"systemd-analyze security --offline: exposure {score} <= 2.0", score <= 2.0, (r.stdout + r.stderr)[-300:])


def expand_syscall_set(analyze, name, seen=None):
    seen = seen if seen is not None else set()
    if name in seen:
        return set()
    seen.add(name)
    out = subprocess.run([analyze, "syscall-filter", name], capture_output=True, text=True).stdout
    calls = set()
    for line in out.splitlines()[1:]:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        calls |= expand_syscall_set(analyze, line, seen) if line.startswith("@") else {line}
    return calls


# ------------------------------------------------------------------------------------------------
def find_binary():
    candidates = [os.environ.get("SG_BINARY"), os.environ.get("SIGNING_GATEWAY_BIN")] + [
        os.path.join(ROOT, d, "signing-gateway") for d in (".build/release", ".build/debug")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


MDWE_LAUNCHER = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
# PR_SET_MDWE = 65, PR_MDWE_REFUSE_EXEC_GAIN = 1: what systemd >= 255 does for MemoryDenyWriteExecute=.
if libc.prctl(65, 1, 0, 0, 0) != 0:
    sys.exit(77)
os.execv(sys.argv[1], sys.argv[1:])
"""


def test_runtime_under_the_units_hardening():
    binary = find_binary()
    if not binary:
        note("runtime: binary under MemoryDenyWriteExecute and the syscall filter", "no built binary (set SG_BINARY or SIGNING_GATEWAY_BIN)")
        return
    strace = shutil.which("strace")
    analyze = shutil.which("systemd-analyze")
    with tempfile.TemporaryDirectory() as tmp:
        # Lay out the binary the way the image and the unit do: bundle next to it (when built).
        bindir = os.path.join(tmp, "bin")
        os.makedirs(bindir)
        shutil.copy(binary, bindir)
        bundle = os.path.join(os.path.dirname(binary), "signing-gateway_GatewayHTTP.resources")
        if os.path.isdir(bundle):
            shutil.copytree(bundle, os.path.join(bindir, os.path.basename(bundle)))
        exe = os.path.join(bindir, "signing-gateway")
        launcher = os.path.join(tmp, "mdwe.py")
        with open(launcher, "w") as f:
            f.write(MDWE_LAUNCHER)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        data = os.path.join(tmp, "data")
        trace = os.path.join(tmp, "trace")
        cmd = [sys.executable, launcher]
        if strace:
            cmd += [strace, "-f", "-qq", "-o", trace]
        cmd += [exe, "serve", "--port", str(port), "--data-dir", data]
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNING_GATEWAY_")}
        log = open(os.path.join(tmp, "log"), "w+b")
        proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        ok, deadline = False, time.time() + 30
        while time.time() < deadline and proc.poll() is None:
            try:
                ok = http("GET", base + "/healthz", timeout=1)[0] == 200
                if ok:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        if proc.poll() == 77:
            note("runtime: MemoryDenyWriteExecute", "kernel lacks PR_SET_MDWE (< 6.3)")
            return
        try:
            check("runtime (MDWE on): serve answers /healthz", ok)
            status, _, _ = http("GET", base + "/openapi.yaml", timeout=10)
            check("runtime (MDWE on): openapi.yaml served from the bundle next to the binary", status == 200, str(status))
            key = read(os.path.join(data, "dev-client.key")).strip() if os.path.exists(os.path.join(data, "dev-client.key")) else ""
            body = json.dumps({"app": "ttd/signing-app", "instanceId": "51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a01",
                               "mode": "parallel"}).encode()
            status, _, answer = http("POST", base + "/v1/signatures", body, {
                "Authorization": f"Bearer {key}", "Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}, timeout=20)
            check("runtime (MDWE on): a sign walks Maskinporten grant, exchange and libcurl", status == 200, f"{status} {answer[:200]!r}")
        finally:
            # SIGTERM goes to the gateway itself: under strace that is strace's child (strace would
            # only detach on a signal of its own); strace then exits with the gateway's status.
            target = proc.pid
            if strace:
                try:
                    children = read(f"/proc/{proc.pid}/task/{proc.pid}/children").split()
                    target = int(children[0]) if children else proc.pid
                except OSError:
                    pass
            try:
                os.kill(target, 15)
                proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.kill(target, 9) if target != proc.pid else None
                proc.kill()
                proc.wait()
        log.seek(0)
        output = log.read().decode(errors="replace")
        log.close()
        check("runtime (MDWE on): clean exit on SIGTERM", proc.returncode == 0, f"rc={proc.returncode} {output[-300:]}")
        if not (strace and analyze):
            note("runtime: syscalls within the unit's SystemCallFilter", "strace or systemd-analyze missing")
            return
        allowed = expand_syscall_set(analyze, "@system-service")
        denied = set()
        for entry in (unit_settings().get("SystemCallFilter") or []):
            if entry.startswith("~"):
                for name in entry[1:].split():
                    denied |= expand_syscall_set(analyze, name) if name.startswith("@") else {name}
        used = set()
        for line in read(trace).splitlines():
            m = re.match(r"^\d+\s+(?:<\.\.\. )?(\w+)[( ]", line)
            if m and m.group(1) not in ("exit", "resumed", "killed", "exited"):
                used.add(m.group(1))
        # strace's own exec of the binary runs before the filter would apply.
        outside = sorted(c for c in used if c not in allowed or c in denied)
        check("runtime: every syscall the binary made is allowed by SystemCallFilter", not outside, str(outside))
