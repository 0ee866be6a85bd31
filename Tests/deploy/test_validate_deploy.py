"""deploy/ checked both ways: the validator's rules hold on the real files, and each finding of issue 14 made
into a mutation of them is caught (the rule that should catch it reports a problem).

The rules and the model are in validate_deploy.py (Kubernetes rendered by validate_kustomize.py, no kubectl
needed); configurations go through the real binary's `config check --without-files`. The tools: rendered
Kubernetes objects through kubernetes-validate's offline schemas (--strict), compose's nginx.conf through
`nginx -t`, the systemd unit through `systemd-analyze verify` and `security --offline`, init-secrets.sh run
for real, and the binary under the unit's hardening (PR_SET_MDWE and the syscall filter, traced with strace).
What this machine cannot check (a kernel without PR_SET_MDWE) is listed under "not checked" in the summary,
never counted as passed; a missing tool or binary is a failed check.
"""

import copy
import functools
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

import pytest
import yaml

import validate_deploy as v
import validate_kustomize as kustomize
from support import check, http, note

K8S_VERSION = "1.29.0"  # oldest Kubernetes the manifests target (autoscaling/v2, policy/v1)


@functools.lru_cache(maxsize=None)
def model():
    return v.load()


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# ------------------------------------------------------------------------------------------------
# The real files: every rule holds.

@pytest.mark.parametrize("rule", v.RULES, ids=lambda r: r.__name__)
def test_rule_holds_on_deploy(rule):
    problems = rule(model())
    check(f"{rule.__name__}: {rule.__doc__.strip()}", not problems, "\n    " + "\n    ".join(problems))


# ------------------------------------------------------------------------------------------------
# Mutations: each finding of issue 14 (and the relations around them) applied to a copy of the model.

def k8s_config_edit(variant, edit):
    def mutate(m):
        def change(text):
            config = json.loads(text)
            edit(config)
            return json.dumps(config, indent=2)
        v.update_k8s_config(m.k8s[variant], change)
    return mutate


def k8s_object(variant, kind, name, edit):
    def mutate(m):
        doc = next(d for d in m.k8s[variant] if d["kind"] == kind and d["metadata"]["name"] == name)
        edit(doc)
    return mutate


def drop_object(variant, kind, name):
    def mutate(m):
        m.k8s[variant] = [d for d in m.k8s[variant] if not (d["kind"] == kind and d["metadata"]["name"] == name)]
    return mutate


def container_edit(variant, edit):
    return lambda m: edit(v.container(m.k8s[variant]))


def text_edit(field, old, new):
    def mutate(m):
        text = getattr(m, field)
        assert re.search(old, text, re.M), f"mutation does not apply: {old!r} not in {field}"
        setattr(m, field, re.sub(old, new, text, count=1, flags=re.M))
    return mutate


def compose_config_edit(edit):
    def mutate(m):
        config = json.loads(m.compose_config)
        edit(config)
        m.compose_config = json.dumps(config)
    return mutate


def plain_configmap(m):
    docs = m.k8s[v.PRODUCTION]
    cm = next(d for d in docs if d["kind"] == "ConfigMap")
    old, cm["metadata"]["name"] = cm["metadata"]["name"], "signing-gateway-config"
    kustomize.rewrite_configmap_references(v.deployment(docs), {old: "signing-gateway-config"})


def dev_client_subpath(c):
    c["volumeMounts"].append({"name": "secrets", "mountPath": "/data/dev-client.key", "subPath": "client-key", "readOnly": True})


def ingress_path(name, path, kind):
    def edit(doc):
        doc["spec"]["rules"][0]["http"]["paths"].append({**copy.deepcopy(doc["spec"]["rules"][0]["http"]["paths"][0]),
                                                         "path": path, "pathType": kind})
    return k8s_object(v.PRODUCTION, "Ingress", name, edit)


def set_env(variant, name, value):
    return container_edit(variant, lambda c: c.setdefault("env", []).append({"name": name, "value": value}))


P, API, EVENTS = v.PRODUCTION, "signing-gateway-api", "signing-gateway-altinn-events"
MUTATIONS = [
    # (what, the rule that must catch it, mutation)
    ("README's kubectl create secret lacks altinn-events-secret", "rule_k8s_secrets",
     text_edit("readme", r"^.*--from-file=altinn-events-secret=.*\n", "")),
    ("README's kubectl create secret lacks a client's HMAC secret", "rule_k8s_secrets",
     text_edit("readme", r"^.*--from-file=erp-2026-01\.whsec=.*\n", "")),
    ("README creates a key the config never reads", "rule_k8s_secrets",
     text_edit("readme", r"(--from-file=postgres-password=\S+)", r"\1 --from-file=client-key=./client-key")),
    ("each replica its own audit checkpoint key", "rule_k8s_secrets", k8s_config_edit(P, lambda c: c.pop("audit"))),
    ("compose replicas each with their own sealing key", "rule_compose", compose_config_edit(lambda c: c["events"].pop("secretKeyFile"))),
    ("compose PostgreSQL password in the environment", "rule_compose",
     lambda m: m.compose["services"]["postgres"].update(environment={"POSTGRES_PASSWORD": "x"})),
    ("a configuration without upstream (the simulator by omission)", "rule_configs",
     k8s_config_edit(P, lambda c: c.pop("upstream"))),
    ("sqlite engine in the Kubernetes config", "rule_engine", k8s_config_edit(P, lambda c: c["storage"].update(engine="sqlite"))),
    ("sqlite engine in the compose config", "rule_engine", compose_config_edit(lambda c: c["storage"].update(engine="sqlite"))),
    ("SIGNING_GATEWAY_STORAGE_ENGINE=sqlite on the Deployment", "rule_environment",
     set_env(P, "SIGNING_GATEWAY_STORAGE_ENGINE", "sqlite")),
    ("a misspelled environment variable (SIGNING_GATEWAY_PORTT)", "rule_environment", set_env("base", "SIGNING_GATEWAY_PORTT", "9090")),
    ("SIGNING_GATEWAY_DATA_DIR overriding the config on the Deployment", "rule_environment", set_env(P, "SIGNING_GATEWAY_DATA_DIR", "/data")),
    ("an environment variable in compose", "rule_environment",
     lambda m: m.compose["services"]["gateway-1"].update(environment={"SIGNING_GATEWAY_STORAGE_ENGINE": "sqlite"})),
    ("a misspelled Environment= in the systemd unit", "rule_environment",
     text_edit("unit", r"^\[Install\]", "Environment=SIGNING_GATEWAY_LOGLEVEL=debug\n[Install]")),
    ("replicas: 3 beside the HPA", "rule_k8s_workload", lambda m: v.deployment(m.k8s[P])["spec"].update(replicas=3)),
    ("HPA minReplicas 1", "rule_k8s_workload", k8s_object(P, "HorizontalPodAutoscaler", "signing-gateway", lambda d: d["spec"].update(minReplicas=1))),
    ("PDB minAvailable 3 with HPA minimum 3 (no node drain possible)", "rule_k8s_workload",
     k8s_object(P, "PodDisruptionBudget", "signing-gateway", lambda d: d.update(spec={"minAvailable": 3, "selector": d["spec"]["selector"]}))),
    ("a plain ConfigMap (a config change does not roll the pods)", "rule_k8s_configmap", plain_configmap),
    ("HPA maximum 10 x pool 10 = PostgreSQL's whole max_connections", "rule_postgres_connections",
     k8s_object(P, "HorizontalPodAutoscaler", "signing-gateway", lambda d: d["spec"].update(maxReplicas=10))),
    ("postgresPoolSize 20 (the old hard-coded pool)", "rule_postgres_connections",
     k8s_config_edit("base", lambda c: c["storage"].update(postgresPoolSize=20))),
    ("PostgreSQL URL without sslmode (clear text)", "rule_engine",
     k8s_config_edit("base", lambda c: c["storage"].update(postgresURL=c["storage"]["postgresURL"].split("?")[0]))),
    ("production PostgreSQL without verify-full", "rule_engine",
     k8s_config_edit(P, lambda c: c["storage"].update(postgresURL=c["storage"]["postgresURL"].replace("verify-full", "require")))),
    ("DNS only to kube-dns pods (node-local DNS blocked)", "rule_k8s_networkpolicy",
     k8s_object(P, "NetworkPolicy", "signing-gateway-egress-dns",
                lambda d: d["spec"]["egress"][0].update(to=[t for t in d["spec"]["egress"][0]["to"] if "ipBlock" not in t]))),
    ("no database egress", "rule_k8s_networkpolicy", drop_object(P, "NetworkPolicy", "signing-gateway-egress-database")),
    ("no Prometheus scrape ingress", "rule_k8s_networkpolicy", drop_object(P, "NetworkPolicy", "signing-gateway-ingress-prometheus")),
    ("no ingress for the ingress controller", "rule_k8s_networkpolicy", drop_object(P, "NetworkPolicy", "signing-gateway-ingress-controller")),
    ("no default-deny policy", "rule_k8s_networkpolicy", drop_object(P, "NetworkPolicy", "signing-gateway-default-deny")),
    ("IPv4 only (public 443)", "rule_k8s_networkpolicy",
     k8s_object(P, "NetworkPolicy", "signing-gateway-egress-https",
                lambda d: d["spec"]["egress"][0].update(to=[t for t in d["spec"]["egress"][0]["to"] if ":" not in t["ipBlock"]["cidr"]]))),
    ("IPv6 443 open to unique-local addresses", "rule_k8s_networkpolicy",
     k8s_object(P, "NetworkPolicy", "signing-gateway-egress-https", lambda d: d["spec"]["egress"][0]["to"][1]["ipBlock"].pop("except"))),
    ("ingress on the database port", "rule_k8s_networkpolicy",
     k8s_object(P, "NetworkPolicy", "signing-gateway-ingress-clients", lambda d: d["spec"]["ingress"][0]["ports"].append({"protocol": "TCP", "port": 5432}))),
    ("no clients (the dev key has every permission)", "rule_clients", k8s_config_edit("base", lambda c: c.pop("clients"))),
    ("no clients in the systemd example", "rule_clients", lambda m: setattr(m, "systemd_config", json.dumps({**json.loads(m.systemd_config), "clients": {}}))),
    ("an inline-ish client secret (hmacSecretEnv)", "rule_clients",
     k8s_config_edit(P, lambda c: c["clients"]["erp"].update(credentials=[{"id": "erp-env", "hmacSecretEnv": "ERP_SECRET"}]))),
    ("the dev client key mounted by subPath", "rule_k8s_workload", container_edit(P, dev_client_subpath)),
    ("a catch-all Ingress path /", "rule_k8s_ingress", ingress_path(API, "/", "Prefix")),
    ("/metrics exposed by an Ingress", "rule_k8s_ingress", ingress_path(API, "/metrics", "Exact")),
    ("/v1/altinn-events as a Prefix", "rule_k8s_ingress",
     k8s_object(P, "Ingress", EVENTS, lambda d: d["spec"]["rules"][0]["http"]["paths"][0].update(pathType="Prefix"))),
    ("no Altinn Events Ingress (Altinn Events cannot deliver)", "rule_k8s_ingress", drop_object(P, "Ingress", EVENTS)),
    ("an Ingress without TLS", "rule_k8s_ingress", k8s_object(P, "Ingress", API, lambda d: d["spec"].pop("tls"))),
    ("Ingress proxy-read-timeout 15 s", "rule_k8s_ingress",
     k8s_object(P, "Ingress", API, lambda d: d["metadata"]["annotations"].update({"nginx.ingress.kubernetes.io/proxy-read-timeout": "15"}))),
    ("no trustedProxies behind the Ingress", "rule_k8s_ingress", k8s_config_edit(P, lambda c: c.pop("trustedProxies"))),
    ("trustedProxies 0.0.0.0/0 (anyone forges X-Forwarded-For)", "rule_k8s_ingress", k8s_config_edit(P, lambda c: c.update(trustedProxies=["0.0.0.0/0"]))),
    ("Kubernetes reads Forwarded, ingress-nginx writes X-Forwarded-For", "rule_k8s_ingress",
     k8s_config_edit(P, lambda c: c.update(forwardedHeader="forwarded"))),
    ("upstream.proxy set while public 443 stays open", "rule_k8s_networkpolicy",
     k8s_config_edit(P, lambda c: c["upstream"].update(proxy=v.EGRESS_PROXY))),
    ("the egress-proxy variant without its proxy policy", "rule_k8s_networkpolicy",
     drop_object("production+egress-proxy", "NetworkPolicy", "signing-gateway-egress-proxy")),
    ("compose reads Forwarded, nginx writes X-Forwarded-For", "rule_compose",
     compose_config_edit(lambda c: c.update(forwardedHeader="forwarded"))),
    ("nginx proxy_read_timeout 15s", "rule_compose", text_edit("nginx", r"proxy_read_timeout 60s", "proxy_read_timeout 15s")),
    ("nginx without X-Forwarded-For", "rule_compose", text_edit("nginx", r"^\s*proxy_set_header X-Forwarded-For .*\n", "")),
    ("nginx retries a sign on another replica", "rule_compose",
     text_edit("nginx", r"proxy_next_upstream error timeout;", "proxy_next_upstream error timeout non_idempotent;")),
    ("compose without trustedProxies", "rule_compose", compose_config_edit(lambda c: c.pop("trustedProxies"))),
    ("compose trusting the whole network (a container could forge X-Forwarded-For)", "rule_compose",
     compose_config_edit(lambda c: c.update(trustedProxies=["172.28.0.0/24"]))),
    ("compose without a fixed address for nginx", "rule_compose", lambda m: m.compose["services"]["lb"].pop("networks")),
    ("compose mounts the dev client key", "rule_compose",
     lambda m: m.compose["services"]["gateway-1"]["secrets"].append({"source": "erp-whsec", "target": "/data/dev-client.key"})),
    ("compose stop_grace_period 30s under the 45 s drain", "rule_compose",
     lambda m: m.compose["services"]["gateway-2"].update(stop_grace_period="30s")),
    ("compose config not the one init-secrets.sh makes", "rule_compose",
     lambda m: m.compose["configs"]["gateway-config"].update(file="./compose/gateway.json")),
    ("drainTimeoutSeconds 25 (shorter than a sign's worst case)", "rule_configs", k8s_config_edit(P, lambda c: c.update(drainTimeoutSeconds=25))),
    ("terminationGracePeriodSeconds 30 under preStop + drain", "rule_k8s_workload",
     lambda m: v.pod_spec(m.k8s[P]).update(terminationGracePeriodSeconds=30)),
    ("systemd TimeoutStopSec=30", "rule_systemd", text_edit("unit", r"^TimeoutStopSec=.*$", "TimeoutStopSec=30")),
    ("systemd without the erp-2026-01.whsec credential", "rule_systemd", text_edit("unit", r"^LoadCredential=erp-2026-01\.whsec:.*\n", "")),
    ("the image bakes ENV SIGNING_GATEWAY_PORT", "rule_dockerfile", text_edit("dockerfile", r'^VOLUME \["/data"\]', 'ENV SIGNING_GATEWAY_PORT=8080\nVOLUME ["/data"]')),
    ("the image's CMD runs the embedded default (the simulator)", "rule_dockerfile", text_edit("dockerfile", r"^CMD \[.*\]$", 'CMD ["serve"]')),
    ("HEALTHCHECK on ${SIGNING_GATEWAY_PORT}, which the image no longer sets", "rule_dockerfile",
     text_edit("dockerfile", r"127\.0\.0\.1:8080/healthz", "127.0.0.1:${SIGNING_GATEWAY_PORT}/healthz")),
    ("HEALTHCHECK on another port than the configs'", "rule_dockerfile", text_edit("dockerfile", r"127\.0\.0\.1:8080/healthz", "127.0.0.1:9090/healthz")),
    ('wrong type: "port": "8080"', "rule_configs", k8s_config_edit(P, lambda c: c.update(port="8080"))),
    ('unknown value: "engine": "mysql"', "rule_configs", k8s_config_edit(P, lambda c: c["storage"].update(engine="mysql"))),
    ("unknown key in a config", "rule_configs", compose_config_edit(lambda c: c.update(replicas=2))),
    ("a static token profile in production", "rule_configs",
     k8s_config_edit(P, lambda c: c["tokenProfiles"].update(sim={"kind": "static", "tokenFile": "/run/secrets/signing-gateway/token"}))),
    ("Maskinporten issuer test with the production upstream", "rule_configs",
     k8s_config_edit(P, lambda c: c["tokenProfiles"]["erp"].update(issuer="test"))),
    ("container port differs from the config's port", "rule_k8s_workload",
     container_edit(P, lambda c: c["ports"][0].update(containerPort=9090))),
    ("config port differs from the container's", "rule_k8s_workload", k8s_config_edit("base", lambda c: c.update(port=9090))),
    ("README applies no production overlay", "rule_readme",
     text_edit("readme", r"kubectl apply -k deploy/kubernetes/overlays/production", "kubectl apply -k deploy/kubernetes/base")),
    ("README names a path that does not exist", "rule_readme", text_edit("readme", r"deploy/compose/init-secrets\.sh", "deploy/compose/init.sh")),
]


@pytest.mark.parametrize("what,rule,mutate", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_mutation_is_caught(what, rule, mutate):
    found = v.validate(v.mutated(model(), mutate))
    by = {name: problems for name, problems in found.items() if problems}
    check(f"{what}: caught by {rule}", rule in by, f"rules reporting: {json.dumps(by, indent=1)[:1500]}")


def test_mutation_names_are_rules():
    names = {r.__name__ for r in v.RULES}
    check("every mutation names a rule", all(rule in names for _, rule, _ in MUTATIONS),
          str({rule for _, rule, _ in MUTATIONS} - names))
    check("every rule is exercised by a mutation", names <= {rule for _, rule, _ in MUTATIONS},
          str(names - {rule for _, rule, _ in MUTATIONS}))


# ------------------------------------------------------------------------------------------------
# Tools.

def test_kubernetes_validate_rendered_objects():
    try:
        import kubernetes_validate  # noqa: F401
    except ImportError:
        check("kubernetes-validate is installed", False, "run `make validate-deploy` (installs it from PyPI)")
        return
    kv = [sys.executable, "-m", "kubernetes_validate", "--strict", "--quiet", "-k", K8S_VERSION]
    rendered = dict(model().k8s)
    with tempfile.TemporaryDirectory() as tmp:
        for variant, docs in rendered.items():
            path = os.path.join(tmp, variant + ".yaml")
            with open(path, "w") as f:
                yaml.safe_dump_all(docs, f)
            r = subprocess.run(kv + [path], capture_output=True, text=True)
            check(f"kubernetes-validate --strict -k {K8S_VERSION}: {variant} ({len(docs)} objects)", r.returncode == 0,
                  (r.stdout + r.stderr).strip())
        # Negative control: strict mode rejects an unknown field offline.
        bogus = os.path.join(tmp, "bogus.yaml")
        with open(bogus, "w") as f:
            f.write("apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {bogus: 1, ports: [{port: 80}]}\n")
        check("kubernetes-validate rejects an unknown field (negative control)", subprocess.run(kv + [bogus], capture_output=True).returncode != 0)
    proxied = rendered["production+egress-proxy"]
    names = {d["metadata"]["name"] for d in proxied if d["kind"] == "NetworkPolicy"}
    check("egress-proxy component: adds the proxy policy and removes public 443",
          "signing-gateway-egress-proxy" in names and "signing-gateway-egress-https" not in names, str(sorted(names)))
    for variant, docs in rendered.items():
        check(f"kustomize render {variant}: no Secret is applied", not [d for d in docs if d["kind"] == "Secret"])


def test_kustomize_renderer():
    """The renderer's own behaviour on what the manifests rely on (a wrong renderer would validate the wrong objects)."""
    with tempfile.TemporaryDirectory() as tmp:
        base, overlay = os.path.join(tmp, "base"), os.path.join(tmp, "overlay")
        os.makedirs(base)
        os.makedirs(overlay)
        files = {
            "base/kustomization.yaml": "namespace: ns\nresources: [d.yaml]\nconfigMapGenerator:\n- name: cfg\n  files: [c.json]\n",
            "base/c.json": '{"a": 1}\n',
            "base/d.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 2\n  template:\n"
                           "    spec:\n      containers: [{name: c, image: reg/img:1}]\n      volumes: [{name: v, configMap: {name: cfg}}]\n",
            "overlay/kustomization.yaml": "resources: [../base]\nnamespace: ns\nimages: [{name: reg/img, newTag: '2'}]\n"
                                          "configMapGenerator:\n- name: cfg\n  behavior: replace\n  files: [c.json]\n"
                                          "patches:\n- path: p.yaml\n- path: j.yaml\n  target: {kind: Deployment}\n",
            "overlay/c.json": '{"a": 2}\n',
            "overlay/p.yaml": "kind: Deployment\nmetadata: {name: d, namespace: ns}\nspec: {replicas: null}\n",
            "overlay/j.yaml": "- {op: add, path: /metadata/labels, value: {x: y}}\n",
        }
        for name, text in files.items():
            with open(os.path.join(tmp, name), "w") as f:
                f.write(text)
        b, o = kustomize.render(base), kustomize.render(overlay)
    cm = lambda docs: next(d for d in docs if d["kind"] == "ConfigMap")
    dep = lambda docs: next(d for d in docs if d["kind"] == "Deployment")
    check("configMapGenerator: name = name-<hash>, the Deployment follows",
          re.fullmatch(r"cfg-[a-z0-9]{10}", cm(b)["metadata"]["name"])
          and dep(b)["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"] == cm(b)["metadata"]["name"], str(cm(b)["metadata"]))
    check("behavior replace: new content, new hash, reference rewritten",
          cm(o)["data"] == {"c.json": '{"a": 2}\n'} and cm(o)["metadata"]["name"] != cm(b)["metadata"]["name"]
          and dep(o)["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"] == cm(o)["metadata"]["name"])
    # The vectors of kustomize's own api/hasher/hasher_test.go (TestConfigMapHash).
    for data, expected in (({}, "6ct58987ht"), ({"one": ""}, "9g67k2htb6"), ({"two": 2, "one": "", "three": 3}, "7757f9kkct")):
        got = kustomize.configmap_hash({"metadata": {"name": ""}, "data": data})
        check(f"kustomize's hash of data {data} is {expected}", got == expected, got)
    check("strategic merge: null deletes a key", "replicas" not in dep(o)["spec"])
    check("JSON 6902 add and images newTag", dep(o)["metadata"].get("labels") == {"x": "y"}
          and dep(o)["spec"]["template"]["spec"]["containers"][0]["image"] == "reg/img:2")
    check("namespace set on every namespaced object", dep(o)["metadata"].get("namespace") == "ns" == cm(o)["metadata"].get("namespace"))


def test_nginx_syntax():
    nginx = v.tool("nginx", "/usr/sbin/nginx")
    if not nginx:
        check("nginx.conf: nginx -t", False, "nginx is not installed (apt-get install nginx; `make validate-deploy` does)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        # Service names do not resolve here: point them at loopback for the syntax check.
        local = model().nginx.replace("gateway-1:8080", "127.0.0.1:18080").replace("gateway-2:8080", "127.0.0.1:18081")
        local = local.replace("pid /tmp/nginx.pid;", f"pid {tmp}/nginx.pid;")
        with open(os.path.join(tmp, "nginx.conf"), "w") as f:
            f.write(local)
        r = subprocess.run([nginx, "-t", "-q", "-p", tmp, "-c", os.path.join(tmp, "nginx.conf")], capture_output=True, text=True)
        check("nginx.conf: nginx -t", r.returncode == 0, r.stderr.strip())


def test_compose_init_secrets():
    """init-secrets.sh run for real: every file compose mounts, a config whose key hashes match the keys it made."""
    binary = v.find_binary()
    with tempfile.TemporaryDirectory() as tmp:
        compose_dir = os.path.join(tmp, "compose")
        os.makedirs(compose_dir)
        for name in ("init-secrets.sh", "gateway.json"):
            with open(os.path.join(compose_dir, name), "w") as f:
                f.write(read(os.path.join(v.DEPLOY, "compose", name)))
        r = subprocess.run(["sh", os.path.join(compose_dir, "init-secrets.sh")], capture_output=True, text=True)
        check("init-secrets.sh runs", r.returncode == 0, r.stderr.strip())
        secrets = os.path.join(compose_dir, "secrets")
        files = {**model().compose.get("secrets", {}), **model().compose.get("configs", {})}
        for name, spec in files.items():
            path = os.path.join(tmp, spec["file"].lstrip("./"))
            check(f"init-secrets.sh makes {spec['file']} ({name})", os.path.isfile(path) and os.path.getsize(path) > 0)
        generated = os.path.join(secrets, "gateway.json")
        if not os.path.isfile(generated):
            return
        config = json.loads(read(generated))
        template = json.loads(model().compose_config)
        for client, key_file in (("erp", "erp.key"), ("ops", "ops.key")):
            hashes = [c.get("apiKeySha256") for c in config["clients"][client]["credentials"] if "apiKeySha256" in c]
            key = read(os.path.join(secrets, key_file)).strip()
            check(f"secrets/gateway.json: {client}'s apiKeySha256 is the SHA-256 of {key_file}", hashes == [v.api_key_hash(key)], str(hashes))
        strip = lambda c: json.dumps({k: val for k, val in c.items() if k != "clients"}, sort_keys=True)
        check("secrets/gateway.json is compose/gateway.json apart from the hashes", strip(config) == strip(template))
        # With the secret paths pointing at the files it made, the binary reads them all (HMAC secret, sealing key,
        # password) as serve would.
        text = read(generated).replace("/run/secrets/", secrets + "/")
        os.makedirs(os.path.join(tmp, "simulator"))
        token = os.path.join(tmp, "simulator", "simulator.token")
        with open(token, "w") as f:
            f.write("sim-token")
        text = text.replace("/simulator/simulator.token", token)
        with open(os.path.join(tmp, "local.json"), "w") as f:
            f.write(text)
        if not binary:
            check("config check of the generated config with its files", False, "no signing-gateway binary (swift build)")
            return
        env = {k: val for k, val in os.environ.items() if not k.startswith("SIGNING_GATEWAY_")}
        r = subprocess.run([binary, "config", "check", "--config", os.path.join(tmp, "local.json")], cwd=tmp, env=env,
                           capture_output=True, text=True, timeout=60)
        check("config check (reading every secret file init-secrets.sh made)", r.returncode == 0, r.stderr.strip()[-500:])
        # A second run keeps what exists (secrets are made once) and makes the same config.
        before = read(os.path.join(secrets, "erp.key"))
        subprocess.run(["sh", os.path.join(compose_dir, "init-secrets.sh")], capture_output=True, text=True)
        check("init-secrets.sh run again keeps the keys and the config",
              read(os.path.join(secrets, "erp.key")) == before and json.loads(read(generated)) == config)


def test_systemd_analyze():
    analyze = v.tool("systemd-analyze")
    if not analyze:
        check("systemd-analyze verify", False, "systemd-analyze is not installed (apt-get install systemd)")
        return
    unit_text = model().unit
    with tempfile.TemporaryDirectory() as tmp:
        # verify wants ExecStart's binary to exist: point it at a stand-in, same unit otherwise.
        stand_in = os.path.join(tmp, "signing-gateway")
        with open("/bin/true", "rb") as src, open(stand_in, "wb") as dst:
            dst.write(src.read())
        os.chmod(stand_in, 0o755)
        unit = os.path.join(tmp, "signing-gateway.service")
        with open(unit, "w") as f:
            f.write(unit_text.replace("/opt/signing-gateway/signing-gateway serve", stand_in + " serve"))
        r = subprocess.run([analyze, "verify", unit], capture_output=True, text=True)
        check("systemd-analyze verify", r.returncode == 0 and "signing-gateway.service" not in r.stderr, r.stderr.strip())
        r = subprocess.run([analyze, "security", "--offline=yes", "--threshold=20", unit], capture_output=True, text=True)
        found = re.search(r"Overall exposure level for \S+: ([\d.]+)", r.stdout + r.stderr)
        score = float(found.group(1)) if found else 99
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
MDWE_LAUNCHER = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
# PR_SET_MDWE = 65, PR_MDWE_REFUSE_EXEC_GAIN = 1: what systemd >= 255 does for MemoryDenyWriteExecute=.
if libc.prctl(65, 1, 0, 0, 0) != 0:
    sys.exit(77)
os.execv(sys.argv[1], sys.argv[1:])
"""


def test_runtime_under_the_units_hardening():
    binary = v.find_binary()
    # make test builds it first; no binary is a failure, never a skipped check.
    check("runtime: a built binary to run under the unit's hardening", binary is not None)
    if not binary:
        return
    strace = v.tool("strace")
    analyze = v.tool("systemd-analyze")
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
        # make test-deps installs both; a missing tool fails the check instead of skipping it.
        check("runtime: strace and systemd-analyze are installed", bool(strace and analyze))
        if not (strace and analyze):
            return
        allowed = expand_syscall_set(analyze, "@system-service")
        denied = set()
        for entry in (v.unit_settings(model().unit).get("SystemCallFilter") or []):
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
