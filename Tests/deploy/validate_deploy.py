"""The deploy validator: deploy/ read into one model, and rules that each return the problems they find.

`load()` reads everything an operator deploys (the Kubernetes variants rendered as kustomize would, compose,
nginx, the Dockerfile, the systemd unit, every configuration, the README's Deploy section). Each rule in RULES
takes that model and returns a list of problems, so the same rules run on the real files (no problems) and on
mutated copies of the model (Tests/deploy/test_validate_deploy.py: each finding of issue 14 must be caught).
Configurations are checked by the real binary (`config check --without-files`: the same shape, type, value
and relation checks as `serve`, without the secret files), with the environment the deploy gives it.
"""
import copy
import functools
import hashlib
import ipaddress
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from urllib.parse import urlsplit

import yaml

import validate_kustomize as kustomize

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(ROOT, "deploy")
K8S = os.path.join(DEPLOY, "kubernetes")
EGRESS_PROXY = "http://egress-proxy.egress-proxy.svc.cluster.local:3128"
# variant name -> (kustomization directory, extra components, upstream.proxy set as the component's comment asks)
K8S_VARIANTS = {
    "base": ("base", (), None),
    "production": ("overlays/production", (), None),
    "production+egress-proxy": ("overlays/production", ("../../components/egress-proxy",), EGRESS_PROXY),
}
PRODUCTION = "production"  # the variant the README's procedure applies
GATEWAY_IMAGE = "signing-gateway"
POSTGRES_MAX_CONNECTIONS = 100  # PostgreSQL's default max_connections
POSTGRES_HEADROOM = 10  # kept free for operators, migrations and backups
SECRETISH = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE|API_?KEY|CLIENT_?KEY)", re.I)
NODE_LOCAL_DNS = "169.254.20.10/32"
PRIVATE_V4 = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"}
PRIVATE_V6 = {"fc00::/7", "fe80::/10", "::ffff:0:0/96"}
# Keys every replica must share, so they come from a Secret (the default is a file each replica makes in /data).
SHARED_KEYS = ("events.secretKeyFile", "audit.checkpointKeyFile")
EXPOSED_PATHS = {("/v1", "Prefix"), ("/v1/altinn-events", "Exact")}


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


@dataclass
class Deploy:
    k8s: dict  # variant -> rendered objects
    compose: dict  # compose.yaml
    compose_config: str  # compose/gateway.json: the template init-secrets.sh fills in
    nginx: str
    init_secrets: str
    dockerfile: str
    dockerignore: str
    unit: str  # the systemd unit
    systemd_config: str
    readme: str  # README.md's Deploy section
    gateway_env: frozenset  # SIGNING_GATEWAY_* names the gateway reads


def render_k8s():
    rendered = {}
    for name, (path, components, proxy) in K8S_VARIANTS.items():
        rendered[name] = kustomize.render(os.path.join(K8S, path), components)
        if proxy:
            def with_proxy(text):
                config = json.loads(text)
                config["upstream"]["proxy"] = config.setdefault("events", {})["proxy"] = proxy
                return config
            update_k8s_config(rendered[name], with_proxy)
    return rendered


def load():
    readme = read(os.path.join(ROOT, "README.md"))
    section = readme.split("\n## Deploy", 1)[-1].split("\n## Layout", 1)[0]
    loader = read(os.path.join(ROOT, "Sources", "App", "Configuration", "ConfigurationLoader.swift"))
    return Deploy(
        k8s=render_k8s(),
        compose=yaml.safe_load(read(os.path.join(DEPLOY, "compose.yaml"))),
        compose_config=read(os.path.join(DEPLOY, "compose", "gateway.json")),
        nginx=read(os.path.join(DEPLOY, "compose", "nginx.conf")),
        init_secrets=read(os.path.join(DEPLOY, "compose", "init-secrets.sh")),
        dockerfile=read(os.path.join(DEPLOY, "Dockerfile")),
        dockerignore=read(os.path.join(DEPLOY, "Dockerfile.dockerignore")),
        unit=read(os.path.join(DEPLOY, "systemd", "signing-gateway.service")),
        systemd_config=read(os.path.join(DEPLOY, "systemd", "config.example.json")),
        readme="## Deploy" + section,
        gateway_env=frozenset(re.findall(r'environment\["(SIGNING_GATEWAY_\w+)"\]', loader)),
    )


# ------------------------------------------------------------------------------------------------
# The binary: `config check --without-files` gives the problems, or the effective configuration.

def find_binary():
    """SG_BINARY, else SIGNING_GATEWAY_BIN, else what `make test` builds (.build/debug), else .build/release."""
    candidates = [os.environ.get("SG_BINARY"), os.environ.get("SIGNING_GATEWAY_BIN")] + [
        os.path.join(ROOT, d, "signing-gateway") for d in (".build/debug", ".build/release")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


@functools.lru_cache(maxsize=None)
def _config_check(text, env):
    binary = find_binary()
    if not binary:
        return None, ("no signing-gateway binary to run `config check` (swift build, or set SG_BINARY)",)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "config.json")
        with open(path, "w") as f:
            f.write(text)
        environment = {k: v for k, v in os.environ.items() if not k.startswith("SIGNING_GATEWAY_")}
        environment.update(env)
        r = subprocess.run([binary, "config", "check", "--config", path, "--without-files"],
                           cwd=tmp, env=environment, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        return None, tuple((r.stderr + r.stdout).strip().splitlines()[-5:]) or (f"exit {r.returncode}",)
    return json.loads(r.stdout), ()


def config_check(text, env=None):
    """(effective configuration or None, problems) for a configuration file and the environment it runs with."""
    return _config_check(text, tuple(sorted((env or {}).items())))


def effective(text, env=None):
    return config_check(text, env)[0]


def raw(text):
    try:
        value = json.loads(text)
        return value if isinstance(value, dict) else {}
    except ValueError:
        return {}


def worst_case_seconds(config):
    """GatewayConfiguration.worstCaseRequestSeconds: a token fetch and three Altinn calls at most."""
    return -(-4 * config["upstream"]["timeoutMilliseconds"] // 1000)


def seconds(text):
    """`60s`, `2m`, `1m30s` or a bare number of seconds, as compose, nginx and systemd write durations."""
    text = str(text).strip()
    if re.fullmatch(r"\d+", text):
        return int(text)
    parts = re.findall(r"(\d+)\s*(ms|s|m|h|min|sec)", text)
    if not parts or re.sub(r"(\d+)\s*(ms|s|m|h|min|sec)", "", text).strip():
        return None
    unit = {"ms": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}
    return sum(int(v) * unit[u] for v, u in parts)


def secret_paths(config):
    """Every file a configuration reads a secret (or CA) from."""
    storage, events, audit = config.get("storage") or {}, config.get("events") or {}, config.get("audit") or {}
    paths = [storage.get("postgresPasswordFile"), storage.get("postgresCAFile"), events.get("altinnEventsSecretFile"),
             events.get("secretKeyFile"), audit.get("checkpointKeyFile"), (config.get("upstream") or {}).get("caBundle")]
    paths += [p.get(k) for p in (config.get("tokenProfiles") or {}).values() for k in ("keyFile", "tokenFile")]
    paths += [c.get("hmacSecretFile") for client in (config.get("clients") or {}).values()
              for c in client.get("credentials", [])]
    return [p for p in paths if p]


def under(path, directory):
    return path.startswith(directory.rstrip("/") + "/")


# ------------------------------------------------------------------------------------------------
# Kubernetes accessors.

def objects(docs, kind):
    return [d for d in docs if d.get("kind") == kind]


def deployment(docs):
    return next(iter(objects(docs, "Deployment")), {})


def pod_spec(docs):
    return deployment(docs).get("spec", {}).get("template", {}).get("spec", {})


def container(docs):
    return next((c for c in pod_spec(docs).get("containers", []) if GATEWAY_IMAGE in c.get("image", "")), {})


def container_env(c):
    return {e["name"]: e.get("value", "") for e in c.get("env", [])}


def k8s_config_text(docs):
    """The configuration file the gateway container reads: --config, found on its ConfigMap mount."""
    c, volumes = container(docs), {v["name"]: v for v in pod_spec(docs).get("volumes", [])}
    args = c.get("args", [])
    path = args[args.index("--config") + 1] if "--config" in args[:-1] else ""
    for mount in c.get("volumeMounts", []):
        ref = volumes.get(mount["name"], {}).get("configMap")
        if ref and os.path.dirname(path) == mount["mountPath"].rstrip("/"):
            cm = next((m for m in objects(docs, "ConfigMap") if m["metadata"]["name"] == ref["name"]), {})
            return cm.get("data", {}).get(os.path.basename(path))
    return None


def k8s_config(docs):
    return effective(k8s_config_text(docs) or "", container_env(container(docs)))


def configs(m):
    """(label, text, env, kind) of every configuration the deploys run; kind is kubernetes, compose or systemd."""
    found = [(f"kubernetes {v}", k8s_config_text(docs), container_env(container(docs)), "kubernetes")
             for v, docs in m.k8s.items()]
    for name, service in gateway_services(m).items():
        found.append((f"compose {name}", m.compose_config, compose_env(service), "compose"))
    found.append(("systemd", m.systemd_config, unit_environment(m), "systemd"))
    return found


def update_k8s_config(docs, edit):
    """Edit the configuration inside the generated ConfigMap (text -> text or dict), renamed as kustomize would."""
    volume = next(v for v in pod_spec(docs)["volumes"] if "configMap" in v)
    cm = next(m for m in objects(docs, "ConfigMap") if m["metadata"]["name"] == volume["configMap"]["name"])
    key = next(iter(cm["data"]))
    text = edit(cm["data"][key])
    cm["data"][key] = text if isinstance(text, str) else json.dumps(text, indent=2)
    old = cm["metadata"]["name"]
    cm["metadata"]["name"] = old.rsplit("-", 1)[0]
    new = f"{cm['metadata']['name']}-{kustomize.configmap_hash(cm)}"
    cm["metadata"]["name"] = new
    kustomize.rewrite_configmap_references(deployment(docs), {old: new})


# ------------------------------------------------------------------------------------------------
# Compose and systemd accessors.

def gateway_services(m):
    return {n: s for n, s in m.compose.get("services", {}).items() if (s.get("command") or [None])[0] == "serve"}


def compose_env(service):
    env = service.get("environment") or {}
    return dict(e.split("=", 1) for e in env) if isinstance(env, list) else {k: str(v) for k, v in env.items()}


def unit_settings(unit):
    settings = {}
    for line in unit.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def unit_environment(m):
    env = {}
    for entry in unit_settings(m.unit).get("Environment", []):
        for item in entry.split():
            key, _, value = item.strip('"').partition("=")
            env[key] = value
    return env


# ------------------------------------------------------------------------------------------------
# Rules. Each returns a list of problems (empty: holds).

def rule_configs(m):
    """Every configuration passes the binary's own checks (types, allowed values, relations), with its environment."""
    problems = []
    for label, text, env, _ in configs(m):
        if text is None:
            problems.append(f"{label}: no configuration file found")
            continue
        config, found = config_check(text, env)
        problems += [f"{label}: {p}" for p in found]
        if config and config["drainTimeoutSeconds"] < worst_case_seconds(config):
            problems.append(f"{label}: drainTimeoutSeconds {config['drainTimeoutSeconds']} < a request's worst case "
                            f"{worst_case_seconds(config)} s (4 x upstream.timeoutMilliseconds)")
    return problems


def rule_clients(m):
    """Named clients with credentials by reference; no dev client, no secret inline or in the environment."""
    problems = []
    for label, text, _, _ in configs(m):
        config = raw(text or "")
        clients = config.get("clients") or {}
        if not clients:
            problems.append(f"{label}: no `clients` (the data directory's dev key would be a client with every permission)")
        profiles = set(config.get("tokenProfiles") or {})
        for cid, client in clients.items():
            for credential in client.get("credentials", []):
                if set(credential) - {"id"} not in ({"apiKeySha256"}, {"hmacSecretFile"}):
                    problems.append(f"{label}: client {cid} credential {credential.get('id')}: only apiKeySha256 or "
                                    f"hmacSecretFile (a secret is never inline or in the environment)")
            wanted = set((client.get("policy") or {}).get("tokenProfiles") or []) - {"*"}
            if wanted - profiles:
                problems.append(f"{label}: client {cid} names token profiles {sorted(wanted - profiles)} the config lacks")
    return problems


def rule_engine(m):
    """Kubernetes and compose run several replicas: PostgreSQL only, over TLS in Kubernetes."""
    problems = []
    for label, text, env, kind in configs(m):
        config = effective(text or "", env)
        if kind == "systemd" or config is None:
            continue
        storage = config["storage"]
        if storage["engine"] != "postgres":
            problems.append(f"{label}: storage.engine {storage['engine']}: several replicas need postgres")
        mode = re.search(r"[?&]sslmode=([\w-]+)", storage.get("postgresURL") or "")
        if kind == "kubernetes" and (not mode or mode.group(1) not in ("require", "verify-ca", "verify-full")):
            problems.append(f"{label}: storage.postgresURL without sslmode=require/verify-ca/verify-full (traffic in clear)")
        if label.endswith(f" {PRODUCTION}") and not (mode and mode.group(1) == "verify-full" and storage.get("postgresCAFile")):
            problems.append(f"{label}: production PostgreSQL must be sslmode=verify-full with storage.postgresCAFile")
    return problems


def rule_environment(m):
    """Every environment variable handed to the gateway is one it reads (a misspelled or removed one does nothing)."""
    problems = []
    for label, text, env, kind in configs(m):
        config = raw(text or "")
        named = {p.get("tokenEnv") for p in (config.get("tokenProfiles") or {}).values()}
        named |= {c.get("hmacSecretEnv") for cl in (config.get("clients") or {}).values() for c in cl.get("credentials", [])}
        unknown = sorted(set(env) - m.gateway_env - named)
        if unknown:
            problems.append(f"{label}: environment variables the gateway does not read: {unknown}")
        if kind != "systemd" and env:
            problems.append(f"{label}: environment overrides {sorted(env)}: the mounted config.json is the whole configuration")
        literal = [k for k, v in env.items() if SECRETISH.search(k) and not k.endswith("_FILE")]
        if literal:
            problems.append(f"{label}: secret in the environment: {literal}")
    for variant, docs in m.k8s.items():
        if container(docs).get("envFrom"):
            problems.append(f"kubernetes {variant}: envFrom hides which variables the gateway gets")
    return problems


def rule_k8s_workload(m):
    """The Deployment: HPA owns replicas, ports agree, grace covers preStop + drain, hardened, no subPath."""
    problems = []
    for variant, docs in m.k8s.items():
        p = lambda text: problems.append(f"kubernetes {variant}: {text}")
        dep, pod, c = deployment(docs), pod_spec(docs), container(docs)
        if not c:
            p("no Deployment with a signing-gateway container")
            continue
        config = k8s_config(docs)
        hpas = [h for h in objects(docs, "HorizontalPodAutoscaler")
                if h["spec"]["scaleTargetRef"].get("kind") == "Deployment" and h["spec"]["scaleTargetRef"]["name"] == dep["metadata"]["name"]]
        if not hpas:
            p("no HorizontalPodAutoscaler targets the Deployment")
        elif "replicas" in dep["spec"]:
            p(f"Deployment sets replicas: {dep['spec']['replicas']} although an HPA owns the count (apply -k resets it)")
        for hpa in hpas:
            if hpa["spec"].get("minReplicas", 1) < 2:
                p(f"HPA minReplicas {hpa['spec'].get('minReplicas', 1)} < 2 (one pod is no availability)")
        labels = dep["spec"]["template"]["metadata"].get("labels", {})
        selects = lambda selector: selector and all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())
        if not selects(dep["spec"].get("selector")):
            p("Deployment selector does not match its template")
        pdbs = objects(docs, "PodDisruptionBudget")
        if not pdbs or not all(selects(b["spec"].get("selector")) for b in pdbs):
            p("no PodDisruptionBudget selecting the pods")
        for pdb, hpa in ((b, h) for b in pdbs for h in hpas):
            low, spec = hpa["spec"].get("minReplicas", 1), pdb["spec"]
            allowed = spec["maxUnavailable"] if "maxUnavailable" in spec else low - spec.get("minAvailable", low)
            if not isinstance(allowed, int) or not 1 <= allowed <= low - 1:
                p(f"PDB allows {allowed} disruptions with HPA minReplicas {low}: drains must be possible and leave a pod")
        ports = {pt.get("name"): pt["containerPort"] for pt in c.get("ports", [])}
        if config and list(ports.values()) != [config["port"]]:
            p(f"container ports {sorted(ports.values())} != the config's port {config['port']}")
        for svc in objects(docs, "Service"):
            if not selects(svc["spec"].get("selector")):
                p(f"Service {svc['metadata']['name']} does not select the pods")
            for sp in svc["spec"].get("ports", []):
                target = sp.get("targetPort", sp["port"])
                if ports.get(target, target) not in ports.values():
                    p(f"Service {svc['metadata']['name']} targetPort {target} is no container port")
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"), ("startupProbe", "/healthz")):
            get = c.get(probe, {}).get("httpGet", {})
            if get.get("path") != path or ports.get(get.get("port"), get.get("port")) not in ports.values():
                p(f"{probe} is not GET {path} on the container port")
        if c.get("readinessProbe", {}).get("timeoutSeconds", 1) <= 2:
            p("readiness probe timeout must outlast the gateway's 2 s store check")
        pre_stop = c.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
        pre = int(pre_stop[-1]) if pre_stop and str(pre_stop[-1]).isdigit() else 0
        grace = pod.get("terminationGracePeriodSeconds", 30)
        if config and grace < pre + config["drainTimeoutSeconds"]:
            p(f"terminationGracePeriodSeconds {grace} < preStop {pre} + drainTimeoutSeconds {config['drainTimeoutSeconds']}")
        psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
        hardened = {
            "runAsNonRoot": psc.get("runAsNonRoot") is True and csc.get("runAsNonRoot") is True,
            "runAsUser 10001 (the image's uid)": psc.get("runAsUser") == 10001,
            "readOnlyRootFilesystem": csc.get("readOnlyRootFilesystem") is True,
            "allowPrivilegeEscalation false": csc.get("allowPrivilegeEscalation") is False,
            "capabilities drop ALL": csc.get("capabilities", {}).get("drop") == ["ALL"],
            "seccomp RuntimeDefault": psc.get("seccompProfile", {}).get("type") == "RuntimeDefault",
            "no service account token": pod.get("automountServiceAccountToken") is False,
            "cpu/memory requests and limits": all({"cpu", "memory"} <= set(c.get("resources", {}).get(k, {})) for k in ("requests", "limits")),
        }
        problems += [f"kubernetes {variant}: not {name}" for name, ok in hardened.items() if not ok]
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        mounts = {mt["mountPath"]: mt for mt in c.get("volumeMounts", [])}
        for path in ("/tmp", "/data"):
            if "emptyDir" not in volumes.get(mounts.get(path, {}).get("name"), {}):
                p(f"{path} is not an emptyDir")
        for mount in c.get("volumeMounts", []):
            if "subPath" in mount or "subPathExpr" in mount:
                p(f"volumeMount {mount['mountPath']} uses subPath (a copy that never sees a rotated Secret or ConfigMap)")
        if "dev-client.key" in json.dumps(docs):
            p("mentions dev-client.key: the dev client is only for the embedded default")
    return problems


def rule_k8s_configmap(m):
    """The ConfigMap is generated: its name carries the hash of its content, so a change rolls the pods."""
    problems = []
    for variant, docs in m.k8s.items():
        for cm in objects(docs, "ConfigMap"):
            name = cm["metadata"]["name"]
            stem = name.rsplit("-", 1)[0]
            if name != f"{stem}-{kustomize.configmap_hash({**cm, 'metadata': {'name': stem}})}":
                problems.append(f"kubernetes {variant}: ConfigMap {name} is not generated (no content hash in its "
                                "name: a config change would not roll the pods)")
        if k8s_config_text(docs) is None:
            problems.append(f"kubernetes {variant}: the Deployment's --config file is on no ConfigMap of this render")
    return problems


def readme_secrets(readme):
    """{secret name: keys} of the README's `kubectl create secret generic`, and the names of `create secret tls`."""
    text = re.sub(r"\\\n\s*", " ", readme)
    generic, tls = {}, set()
    for line in text.splitlines():
        found = re.search(r"kubectl\b.*\bcreate secret generic ([\w.-]+)(.*)", line)
        if found:
            keys = generic.setdefault(found.group(1), set())
            for spec in re.findall(r"--from-file=(\S+)", found.group(2)):
                keys.add(spec.split("=", 1)[0] if "=" in spec else os.path.basename(spec))
        found = re.search(r"kubectl\b.*\bcreate secret tls ([\w.-]+)", line)
        if found:
            tls.add(found.group(1))
    return generic, tls


def rule_k8s_secrets(m):
    """Every file the config reads is a key of a mounted Secret that the README creates, and every key it creates is read."""
    problems = []
    generic, _ = readme_secrets(m.readme)
    for variant, docs in m.k8s.items():
        config = raw(k8s_config_text(docs) or "")
        volumes = {v["name"]: v for v in pod_spec(docs).get("volumes", [])}
        mounts = {mt["mountPath"]: volumes.get(mt["name"], {}) for mt in container(docs).get("volumeMounts", [])}
        needed = {}
        for key in SHARED_KEYS:
            if not (config.get(key.split(".")[0]) or {}).get(key.split(".")[1]):
                problems.append(f"kubernetes {variant}: no {key}: each replica would make its own in /data "
                                "(a secret sealed on one would not open on another)")
        for path in secret_paths(config):
            where = [(d, v) for d, v in mounts.items() if under(path, d) and "secret" in v]
            if not where:
                problems.append(f"kubernetes {variant}: {path} is on no mounted Secret")
                continue
            directory, volume = where[0]
            secret = volume["secret"]
            key = os.path.relpath(path, directory)
            items = {i["path"]: i["key"] for i in secret.get("items", [])}
            needed.setdefault(secret["secretName"], set()).add(items.get(key, key) if items else key)
        for name, keys in needed.items():
            missing = keys - generic.get(name, set())
            if missing:
                problems.append(f"kubernetes {variant}: the README's `kubectl create secret generic {name}` lacks "
                                f"{sorted(missing)} (the pods never start)")
        if variant == PRODUCTION:
            for name, keys in generic.items():
                unused = keys - needed.get(name, set())
                if unused:
                    problems.append(f"kubernetes {variant}: the README puts {sorted(unused)} into {name}, which the config never reads")
    return problems


def _ports(rule):
    return {(pt.get("protocol", "TCP"), pt.get("port")) for pt in rule.get("ports", [])}


def rule_k8s_networkpolicy(m):
    """Default deny; DNS to kube-dns and node-local DNS; the database; public 443 in IPv4 and IPv6; Prometheus."""
    problems = []
    for variant, docs in m.k8s.items():
        p = lambda text: problems.append(f"kubernetes {variant}: NetworkPolicy: {text}")
        c = container(docs)
        labels = deployment(docs).get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {})
        http = {pt.get("name") for pt in c.get("ports", [])} | {pt["containerPort"] for pt in c.get("ports", [])}
        policies = [n["spec"] for n in objects(docs, "NetworkPolicy")
                    if all(labels.get(k) == v for k, v in n["spec"].get("podSelector", {}).get("matchLabels", {}).items())]
        if not any(set(s.get("policyTypes", [])) == {"Ingress", "Egress"} and not s.get("ingress") and not s.get("egress") for s in policies):
            p("no default-deny policy (Ingress and Egress, no rules) for the gateway's pods")
        egress = [r for s in policies for r in s.get("egress", [])]
        ingress = [r for s in policies for r in s.get("ingress", [])]
        for rule in egress:
            if not rule.get("ports"):
                p(f"an egress rule without ports: {rule.get('to')}")
            v4 = [b["ipBlock"]["cidr"] for b in rule.get("to", []) if "ipBlock" in b and ":" not in b["ipBlock"]["cidr"]]
            v6 = [b["ipBlock"]["cidr"] for b in rule.get("to", []) if "ipBlock" in b and ":" in b["ipBlock"]["cidr"]]
            if v4 and not v6:
                p(f"IPv4 only: egress to {v4} has no IPv6 counterpart")
        dns = [r for r in egress if {("UDP", 53), ("TCP", 53)} <= _ports(r)]
        kube_dns = any(b.get("podSelector", {}).get("matchLabels", {}).get("k8s-app") == "kube-dns" for r in dns for b in r.get("to", []))
        node_local = any(b.get("ipBlock", {}).get("cidr") == NODE_LOCAL_DNS for r in dns for b in r.get("to", []))
        if not (kube_dns and node_local):
            p(f"DNS (UDP and TCP 53) must reach kube-dns pods and node-local DNS {NODE_LOCAL_DNS} (kube-dns: {kube_dns}, node-local: {node_local})")
        config = k8s_config(docs)
        url = (config or {}).get("storage", {}).get("postgresURL") or ""
        db_port = int(re.search(r"@[^/:]+:(\d+)", url).group(1)) if re.search(r"@[^/:]+:(\d+)", url) else 5432
        if not any(("TCP", db_port) in _ports(r) for r in egress):
            p(f"no egress to the database port {db_port}")
        public = [b["ipBlock"] for r in egress if ("TCP", 443) in _ports(r) for b in r.get("to", [])
                  if b.get("ipBlock", {}).get("cidr") in ("0.0.0.0/0", "::/0")]
        proxy = (config or {}).get("upstream", {}).get("proxy")
        if not proxy:
            for cidr, private in (("0.0.0.0/0", PRIVATE_V4), ("::/0", PRIVATE_V6)):
                blocks = [b for b in public if b["cidr"] == cidr]
                if not blocks:
                    p(f"no HTTPS egress to {cidr} (Altinn and Maskinporten)")
                elif not all(private <= set(b.get("except", [])) for b in blocks):
                    p(f"HTTPS egress to {cidr} must except {sorted(private)}")
        elif public:
            p("upstream.proxy is set but public 443 is still open")
        elif not any(("TCP", urlsplit(proxy).port) in _ports(r) for r in egress):
            p(f"upstream.proxy {proxy}: no egress rule reaches its port")
        for rule in ingress:
            if not rule.get("ports") or any(pt.get("port") not in http for pt in rule["ports"]):
                p(f"ingress rule on ports other than the http port: {rule.get('ports')}")
        by_name = {n["metadata"]["name"]: n["spec"] for n in objects(docs, "NetworkPolicy")}
        wanted = [("signing-gateway-ingress-prometheus", "Prometheus (scraping /metrics)")]
        if objects(docs, "Ingress"):
            wanted.append(("signing-gateway-ingress-controller", "the ingress controller"))
        for name, who in wanted:
            rules = by_name.get(name, {}).get("ingress", [])
            if not any(peer.get("namespaceSelector", {}).get("matchLabels") for r in rules for peer in r.get("from", [])):
                p(f"no ingress for {who} from its namespace ({name})")
    return problems


def rule_k8s_ingress(m):
    """Only /v1 (Prefix) and /v1/altinn-events (Exact) exposed, over TLS, long enough timeouts, trustedProxies set."""
    problems = []
    _, tls_made = readme_secrets(m.readme)
    for variant, docs in m.k8s.items():
        p = lambda text: problems.append(f"kubernetes {variant}: Ingress: {text}")
        config = k8s_config(docs)
        services = {s["metadata"]["name"]: s for s in objects(docs, "Service")}
        exposed = set()
        for ing in objects(docs, "Ingress"):
            name = ing["metadata"]["name"]
            for rule in ing["spec"].get("rules", []):
                for path in rule.get("http", {}).get("paths", []):
                    exposed.add((path.get("path"), path.get("pathType")))
                    backend = path.get("backend", {}).get("service", {})
                    svc_ports = {sp.get("name") for sp in services.get(backend.get("name"), {}).get("spec", {}).get("ports", [])}
                    svc_ports |= {sp["port"] for sp in services.get(backend.get("name"), {}).get("spec", {}).get("ports", [])}
                    if backend.get("port", {}).get("name", backend.get("port", {}).get("number")) not in svc_ports:
                        p(f"{name} {path.get('path')}: backend {backend} is no Service port")
            hosts = {r.get("host") for r in ing["spec"].get("rules", [])}
            tls = ing["spec"].get("tls", [])
            if not tls or not hosts <= {h for t in tls for h in t.get("hosts", [])} or not all(t.get("secretName") for t in tls):
                p(f"{name}: every host needs TLS with a secretName")
            for t in tls:
                if t.get("secretName") and t["secretName"] not in tls_made:
                    p(f"{name}: TLS Secret {t['secretName']} is not made by the README (kubectl create secret tls)")
            timeout = ing["metadata"].get("annotations", {}).get("nginx.ingress.kubernetes.io/proxy-read-timeout")
            if config and (timeout is None or seconds(timeout) is None or seconds(timeout) < worst_case_seconds(config)):
                p(f"{name}: proxy-read-timeout {timeout} < the gateway's worst case {worst_case_seconds(config)} s")
        if objects(docs, "Ingress"):
            if exposed != EXPOSED_PATHS:
                p(f"exposes {sorted(map(str, exposed))}; exactly {sorted(map(str, EXPOSED_PATHS))} (never /metrics, /readyz, /healthz, /openapi.yaml, /)")
            trusted = (config or {}).get("trustedProxies", [])
            if config and not trusted:
                p("the gateway behind it has no trustedProxies: every audit record would name the controller")
            if any(ipaddress.ip_network(t, strict=False).prefixlen == 0 for t in trusted):
                p(f"trustedProxies {trusted} trusts every address: any caller could forge X-Forwarded-For")
            if config and config.get("forwardedHeader") != "x-forwarded-for":
                p(f"forwardedHeader {config.get('forwardedHeader')}: ingress-nginx writes X-Forwarded-For (a caller's "
                  "Forwarded passes through it unchanged)")
    return problems


def rule_postgres_connections(m):
    """Replicas (at their maximum, plus the rollout's surge) x storage.postgresPoolSize leave headroom under max_connections."""
    problems = []
    limit = POSTGRES_MAX_CONNECTIONS - POSTGRES_HEADROOM
    for variant, docs in m.k8s.items():
        config = k8s_config(docs)
        if not config:
            continue
        surge = deployment(docs)["spec"].get("strategy", {}).get("rollingUpdate", {}).get("maxSurge", 1)
        top = max([h["spec"]["maxReplicas"] for h in objects(docs, "HorizontalPodAutoscaler")] or [deployment(docs)["spec"].get("replicas", 1)])
        pool = config["storage"]["postgresPoolSize"]
        if not isinstance(surge, int) or (top + surge) * pool > limit:
            problems.append(f"kubernetes {variant}: ({top} replicas + surge {surge}) x postgresPoolSize {pool} > {limit} "
                            f"(PostgreSQL's max_connections {POSTGRES_MAX_CONNECTIONS} minus {POSTGRES_HEADROOM} headroom)")
    pools = [effective(m.compose_config, compose_env(s)) for s in gateway_services(m).values()]
    if all(pools) and sum(c["storage"]["postgresPoolSize"] for c in pools) > limit:
        problems.append(f"compose: the replicas' pools exceed {limit} connections")
    return problems


def nginx_directives(conf, name):
    return [l.split("#")[0].strip().rstrip(";").split(None, 1)[1:] for l in conf.splitlines()
            if l.strip().startswith(name + " ")]


def rule_compose(m):
    """compose: postgres + simulator + replicas + nginx, secrets as whole files, timeouts, trusted proxy, real clients."""
    problems = []
    p = problems.append
    services = m.compose.get("services", {})
    gateways = gateway_services(m)
    if len(gateways) < 2 or not {"postgres", "simulator", "lb"} <= set(services):
        p(f"compose: needs postgres, simulator, lb and two gateway replicas: {sorted(services)}")
    config_sources = m.compose.get("configs", {})
    secrets = m.compose.get("secrets", {})
    if not secrets or not all(set(s) == {"file"} for s in secrets.values()):
        p(f"compose: secrets must be files, not inline values: {secrets}")
    made = set(re.findall(r'"\$dir/([\w.-]+)"', m.init_secrets))
    for name, spec in list(secrets.items()) + list(config_sources.items()):
        path = spec.get("file", "")
        if path.startswith("./compose/secrets/") and os.path.basename(path) not in made:
            p(f"compose: {name} ({path}) is not made by compose/init-secrets.sh")
    for name, service in services.items():
        if not isinstance((service.get("healthcheck") or {}).get("test"), list):
            p(f"compose: {name} has no healthcheck")
        for target, spec in (service.get("depends_on") or {}).items():
            if not isinstance(spec, dict) or spec.get("condition") != "service_healthy":
                p(f"compose: {name} does not wait for {target} to be healthy")
    networks = m.compose.get("networks", {}) or {}
    subnets = [ipaddress.ip_network(c["subnet"]) for n in networks.values() for c in (n or {}).get("ipam", {}).get("config", [])]
    lb = services.get("lb", {})
    lb_addresses = [ipaddress.ip_address(a) for n in (lb.get("networks") or {}).values() if isinstance(n, dict)
                    for a in (n.get("ipv4_address"), n.get("ipv6_address")) if a]
    postgres = services.get("postgres", {})
    if (postgres.get("environment") or {}).get("POSTGRES_PASSWORD_FILE") != "/run/secrets/postgres-password":
        p("compose: postgres must take its password from the postgres-password secret (POSTGRES_PASSWORD_FILE)")
    compose_config = raw(m.compose_config)
    for key in SHARED_KEYS:
        if not under((compose_config.get(key.split(".")[0]) or {}).get(key.split(".")[1]) or "", "/run/secrets"):
            p(f"compose: {key} must be a shared secret under /run/secrets (each replica has its own /data)")
    for name, service in gateways.items():
        if f"{name}-data:/data" not in service.get("volumes", []):
            p(f"compose: {name} has no data volume of its own at /data")
        cmd = service.get("command", [])
        config_target = cmd[cmd.index("--config") + 1] if "--config" in cmd[:-1] else None
        mounted = {c.get("target"): c.get("source") for c in service.get("configs", [])}
        if config_target not in mounted:
            p(f"compose: {name} runs --config {config_target}, which is no mounted config")
        elif config_sources.get(mounted[config_target], {}).get("file") != "./compose/secrets/gateway.json":
            p(f"compose: {name}'s config must be the one init-secrets.sh makes from compose/gateway.json (client key hashes)")
        targets = {}
        for s in service.get("secrets", []):
            s = {"source": s} if isinstance(s, str) else s
            target = s.get("target", s["source"])
            targets[target if target.startswith("/") else f"/run/secrets/{target}"] = s["source"]
        for target in targets:
            if not under(target, "/run/secrets") or "dev-client.key" in target:
                p(f"compose: {name} mounts a secret at {target}: secrets are files under /run/secrets, no dev client key")
        config = effective(m.compose_config, compose_env(service))
        volumes = [v.split(":")[1] for v in service.get("volumes", []) if isinstance(v, str) and v.count(":") >= 1]
        for path in secret_paths(raw(m.compose_config)):
            if path not in targets and not any(under(path, v) for v in volumes):
                p(f"compose: {name} reads {path}, which no secret or volume provides")
        if not (service.get("read_only") is True and service.get("cap_drop") == ["ALL"] and "/tmp" in service.get("tmpfs", [])):
            p(f"compose: {name} is not hardened (read_only, cap_drop ALL, tmpfs /tmp)")
        if not config:
            continue
        test = " ".join((service.get("healthcheck") or {}).get("test", []))
        if f":{config['port']}/healthz" not in test:
            p(f"compose: {name}'s healthcheck is not on the config's port {config['port']}")
        grace = seconds(service.get("stop_grace_period", "10s"))
        if grace is None or grace < config["drainTimeoutSeconds"] + 5:
            p(f"compose: {name} stop_grace_period {grace} s < drainTimeoutSeconds {config['drainTimeoutSeconds']} + 5")
        if config["storage"].get("postgresPasswordFile") and "postgres" not in (service.get("depends_on") or {}):
            p(f"compose: {name} does not wait for postgres")
        # Exactly nginx: a wider range would let any container on the network forge X-Forwarded-For.
        trusted = [ipaddress.ip_network(t, strict=False) for t in config.get("trustedProxies", [])]
        if not lb_addresses or sorted(trusted) != sorted(ipaddress.ip_network(a) for a in lb_addresses):
            p(f"compose: trustedProxies {config.get('trustedProxies')} must be nginx's fixed address, no more: "
              f"{[str(a) for a in lb_addresses]}")
        if not lb_addresses or not all(any(a in s for s in subnets) for a in lb_addresses):
            p(f"compose: nginx's fixed address {[str(a) for a in lb_addresses]} must lie in the declared network {subnets}")
        if [f"{name}:{config['port']}"] != [a[0].split()[0] for a in nginx_directives(m.nginx, "server") if a and a[0].startswith(f"{name}:")]:
            p(f"nginx.conf: {name} is not an upstream on port {config['port']}")
        for timeout in nginx_directives(m.nginx, "proxy_read_timeout"):
            if seconds(timeout[0]) is None or seconds(timeout[0]) < worst_case_seconds(config):
                p(f"nginx.conf: proxy_read_timeout {timeout[0]} < the gateway's worst case {worst_case_seconds(config)} s")
    if not nginx_directives(m.nginx, "proxy_read_timeout"):
        p("nginx.conf: no proxy_read_timeout (nginx's default of 60 s is not stated)")
    written = {a[0].split()[0].lower() for a in nginx_directives(m.nginx, "proxy_set_header") if a}
    for name, service in gateways.items():
        config = effective(m.compose_config, compose_env(service))
        if config and config.get("forwardedHeader") not in written:
            p(f"nginx.conf: does not set {config.get('forwardedHeader')}, the header {name} reads (the audit would name nginx)")
    if any("non_idempotent" in " ".join(a) for a in nginx_directives(m.nginx, "proxy_next_upstream")):
        p("nginx.conf: proxy_next_upstream non_idempotent would re-send a sign")
    if "./compose/nginx.conf:/etc/nginx/nginx.conf:ro" not in lb.get("volumes", []):
        p("compose: lb does not mount compose/nginx.conf")
    return problems


def dockerfile_lines(text):
    return [l.strip() for l in re.sub(r"\\\n", " ", text).splitlines() if l.strip() and not l.strip().startswith("#")]


def rule_dockerfile(m):
    """Two stages, no baked environment overrides, an explicit --config CMD, HEALTHCHECK on the configs' port."""
    problems = []
    p = problems.append
    lines = dockerfile_lines(m.dockerfile)
    stages = []
    args = {a.group(1): a.group(2) for a in (re.match(r"ARG\s+(\w+)=(\S+)", l) for l in lines) if a}
    for line in lines:
        found = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.I)
        if found:
            image = re.sub(r"\$\{(\w+)\}", lambda v: args.get(v.group(1), v.group(0)), found.group(1))
            stages.append((image, (found.group(2) or "").lower(), []))
        elif stages:
            stages[-1][2].append(line)
    if len(stages) != 2:
        return [f"Dockerfile: {len(stages)} stages, expected build and runtime"]
    (build_image, build_name, build), (run_image, _, runtime) = stages
    run_text, build_text = "\n".join(runtime), "\n".join(build)
    checks = {
        "build stage is Swift 6.3 on bookworm": build_image.startswith("swift:6.3") and "bookworm" in build_image,
        "runtime stage is debian:bookworm-slim": run_image == "debian:bookworm-slim",
        "release build with --static-swift-stdlib": "swift build -c release --static-swift-stdlib" in build_text,
        "the resource bundle is next to the binary": "signing-gateway_GatewayHTTP.resources" in build_text and any(
            f"COPY --from={build_name}" in l and "/usr/local/bin/signing-gateway_GatewayHTTP.resources" in l for l in runtime),
        "apt lists removed": "rm -rf /var/lib/apt/lists/*" in run_text,
        "exec-form ENTRYPOINT": any(re.match(r'ENTRYPOINT\s+\["/usr/local/bin/signing-gateway"\]', l) for l in runtime),
        "/data volume": any(l.startswith("VOLUME") and "/data" in l for l in runtime),
    }
    for package in ("libcurl4", "ca-certificates", "libsqlite3-0"):
        checks[f"runtime installs {package}"] = re.search(rf"install[^\n]*\b{re.escape(package)}\b", run_text) is not None
    users = [l.split(None, 1)[1] for l in runtime if l.upper().startswith("USER ")]
    checks["runs as a numeric non-root user"] = bool(users) and re.match(r"^[1-9]\d*(:[1-9]\d*)?$", users[-1]) is not None
    last_user = max((i for i, l in enumerate(runtime) if l.upper().startswith("USER ")), default=len(runtime))
    checks["nothing runs as root after USER"] = not any(l.upper().startswith("RUN ") for l in runtime[last_user + 1:])
    problems += [f"Dockerfile: not {name}" for name, ok in checks.items() if not ok]
    env = [l for l in lines if l.upper().startswith("ENV ")]
    if env:
        p(f"Dockerfile: bakes environment {env}: an image ENV overrides the mounted config file")
    if any(SECRETISH.search(n) for n in re.findall(r"ARG\s+(\w+)", m.dockerfile)):
        p("Dockerfile: a secret in ARG")
    cmd = [l for l in runtime if l.upper().startswith("CMD")]
    try:
        exec_form = json.loads(cmd[-1][3:]) if cmd else []
    except ValueError:
        exec_form = []
    if exec_form[:2] != ["serve", "--config"]:
        p(f"Dockerfile: CMD must be serve --config FILE (without a file the built-in simulator runs): {cmd}")
    health = [l for l in runtime if l.upper().startswith("HEALTHCHECK")]
    ports = {c["port"] for c in (effective(text or "", env) for _, text, env, kind in configs(m) if kind != "systemd") if c}
    if len(health) != 1 or not all(f"127.0.0.1:{port}/healthz" in health[0] for port in ports):
        p(f"Dockerfile: HEALTHCHECK must GET /healthz on the deploys' port {sorted(ports)}: {health}")
    if "$" in "".join(health):
        p("Dockerfile: HEALTHCHECK depends on a variable the image no longer sets")
    copies = [l for l in lines if l.upper().startswith(("COPY", "ADD"))]
    if [c for c in copies if re.search(r"\.pem|\.key|secrets|\.signing-gateway|token", c)]:
        p("Dockerfile: copies a key, token or local data")
    ignore = m.dockerignore.split()
    problems += [f"Dockerfile.dockerignore: does not exclude {e}" for e in (".build*", ".signing-gateway", "deploy/compose/secrets", "*.pem", "*.key", "*.whsec") if e not in ignore]
    return problems


def rule_systemd(m):
    """The unit: hardened, TimeoutStopSec covers the drain, one LoadCredential= per secret file and no other."""
    problems = []
    p = problems.append
    s = unit_settings(m.unit)
    one = lambda k: (s.get(k) or [None])[-1]
    for key, value in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("PrivateTmp", "yes"),
                       ("DynamicUser", "yes"), ("StateDirectory", "signing-gateway"), ("CapabilityBoundingSet", ""),
                       ("MemoryDenyWriteExecute", "yes"), ("SystemCallArchitectures", "native")):
        if one(key) != value:
            p(f"systemd: {key}={one(key)}, expected {value}")
    if "@system-service" not in (s.get("SystemCallFilter") or []):
        p("systemd: SystemCallFilter is not @system-service")
    if s.get("ReadWritePaths") != ["/var/lib/signing-gateway"]:
        p("systemd: ReadWritePaths must be the state directory only")
    if not one("RestrictAddressFamilies"):
        p("systemd: RestrictAddressFamilies not set")
    exec_start = one("ExecStart") or ""
    if not (" serve " in exec_start and "--config /etc/signing-gateway/config.json" in exec_start):
        p(f"systemd: ExecStart must be serve --config /etc/signing-gateway/config.json: {exec_start}")
    nofile = one("LimitNOFILE") or ""
    if not (nofile.isdigit() and int(nofile) >= 16384):
        p(f"systemd: LimitNOFILE {nofile} (1024 is reached under load)")
    config = effective(m.systemd_config, unit_environment(m))
    stop = seconds(one("TimeoutStopSec") or "90")
    if config and (stop is None or stop < config["drainTimeoutSeconds"] + 5):
        p(f"systemd: TimeoutStopSec {stop} s < drainTimeoutSeconds {config['drainTimeoutSeconds']} + 5")
    creds = {c.lstrip("-").split(":")[0] for c in s.get("LoadCredential", [])}
    base = "/run/credentials/signing-gateway.service/"
    paths = secret_paths(raw(m.systemd_config))
    for path in paths:
        if not under(path, base) or os.path.basename(path) not in creds:
            p(f"systemd: {path} is not a LoadCredential= credential")
    unused = creds - {os.path.basename(x) for x in paths}
    if unused:
        p(f"systemd: LoadCredential= {sorted(unused)} the config never reads (a missing one fails the start)")
    if "dev-client.key" in m.unit + m.systemd_config:
        p("systemd: uses dev-client.key: the dev client is only for the embedded default")
    return problems


def rule_readme(m):
    """The README's Deploy section: the paths it names exist, it applies the production overlay, it links the runbook."""
    problems = []
    made = {f"deploy/compose/secrets/{name}" for name in re.findall(r'"\$dir/([\w.-]+)"', m.init_secrets)}
    for path in sorted(set(re.findall(r"\bdeploy/[\w./-]*[\w/]", m.readme))):
        if not os.path.exists(os.path.join(ROOT, path)) and path.rstrip("/") not in made | {"deploy/compose/secrets"}:
            problems.append(f"README Deploy: names {path}, which does not exist (nor is made by init-secrets.sh)")
    wanted = {
        "kubectl apply -k deploy/kubernetes/overlays/production": "the apply command of the production overlay",
        "deploy/operations/RUNBOOK.md": "the link to the runbook (rotation, backup and restore, alerts)",
        "max_connections": "replicas x storage.postgresPoolSize against PostgreSQL's max_connections",
        "deploy/compose/init-secrets.sh": "the compose secrets step",
    }
    problems += [f"README Deploy: lacks {why}" for text, why in wanted.items() if text not in m.readme]
    return problems


RULES = [rule_configs, rule_clients, rule_engine, rule_environment, rule_k8s_workload, rule_k8s_configmap,
         rule_k8s_secrets, rule_k8s_networkpolicy, rule_k8s_ingress, rule_postgres_connections, rule_compose,
         rule_dockerfile, rule_systemd, rule_readme]


def validate(m):
    """{rule name: problems} for every rule."""
    return {rule.__name__: rule(m) for rule in RULES}


def mutated(m, mutate):
    copy_ = copy.deepcopy(m)
    mutate(copy_)
    return copy_


def api_key_hash(key):
    return hashlib.sha256(key.encode()).hexdigest()


def tool(name, fallback=None):
    return shutil.which(name) or (fallback if fallback and os.path.exists(fallback) else None)
