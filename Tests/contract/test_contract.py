"""Contract test over real processes and real HTTP.

The `simulator` and a `gateway` on it (static token profile reading the simulator's token); drives the walkthrough
and a set of bad inputs, and checks:
  * every gateway answer against openapi.yaml (status declared, body valid against its schema);
  * every request the gateway sent upstream against Altinn's own OpenAPI (path, method, body);
  * the simulator's answers against Altinn's own OpenAPI (the simulator must not drift from Altinn);
  * no token or client key in any answer or log line.
"""
import json
import os
import re
import uuid

import jsonschema

from support import (DEMO_A, DEMO_B, DEMO_C, DEMO_E, ROOT, check, gateway_spec, http, requests_since, run_binary,
                     simulator_instances, simulator_requests)

GATEWAY_SPEC = gateway_spec()
ALTINN_SPEC = json.load(open(os.path.join(ROOT, "Tests", "contract", "altinn-app-api.openapi.json")))


# ---------- OpenAPI 3.0 (Altinn) -> JSON Schema ----------
def altinn_schema(node):
    """nullable:true -> also null. A $ref property may be null too: Altinn writes null properties
    and OpenAPI 3.0 cannot mark a $ref nullable."""
    if isinstance(node, list):
        return [altinn_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: altinn_schema(v) for k, v in node.items() if k not in ("nullable", "example", "format")}
    if "properties" in out:
        out["properties"] = {
            k: ({"anyOf": [v, {"type": "null"}]} if "$ref" in v else v) for k, v in out["properties"].items()
        }
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


ALTINN_COMPONENTS = altinn_schema(ALTINN_SPEC["components"])
# Known error in Altinn's generated OpenAPI (reference §1.8): UserAction.type is written as a string
# ("ProcessAction"/"ServerAction") by a property converter, though the document says int 0/1.
ALTINN_COMPONENTS["schemas"]["ActionType"] = {"enum": [0, 1, "ProcessAction", "ServerAction"]}


def validate_altinn(schema_name, value):
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": ALTINN_COMPONENTS}
    jsonschema.Draft202012Validator(schema).validate(value)


def altinn_operation(method, path):
    for template, item in ALTINN_SPEC["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in item:
            return template, item[method.lower()]
    return None, None


# ---------- Gateway openapi.yaml ----------
def gateway_response_schema(path_template, method, status, content_type):
    operation = GATEWAY_SPEC["paths"][path_template][method.lower()]
    response = operation["responses"].get(str(status))
    if response is None:
        return None, f"status {status} not declared"
    if "$ref" in response:
        response = GATEWAY_SPEC["components"]["responses"][response["$ref"].split("/")[-1]]
    media = content_type.split(";")[0].strip()
    content = response.get("content", {})
    if media not in content:
        return None, f"content type {media} not declared for {status} (has {list(content)})"
    return {**content[media]["schema"], "components": GATEWAY_SPEC["components"]}, None


def check_gateway(name, path_template, method, status, headers, text):
    schema, problem = gateway_response_schema(path_template, method, status, headers.get("Content-Type", ""))
    check(f"{name}: declared", problem is None, problem or "")
    if schema is None:
        return
    try:
        jsonschema.Draft202012Validator(schema).validate(json.loads(text))
        check(f"{name}: schema", True)
    except (jsonschema.ValidationError, json.JSONDecodeError) as error:
        check(f"{name}: schema", False, str(error).splitlines()[0] + " in " + text[:300])


def test_contract(work, simulator, gateway, tmp_path):
    gw = gateway()
    run_checks(work, simulator, gw, tmp_path)


def run_checks(work, simulator, gateway, tmp_path):
    gw = gateway.url
    sim = simulator.url
    key = gateway.client_key()
    token = simulator.token
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    answers = []

    def call(name, method, path, template, body=None, headers=auth, expect=None):
        if method == "POST" and "Idempotency-Key" not in headers:
            headers = {**headers, "Idempotency-Key": '"%s"' % uuid.uuid4()}
        status, response_headers, text = http(method, gw + path, body, headers)
        answers.append(text)
        if expect is not None:
            check(f"{name}: status", status == expect, f"got {status}: {text[:300]}")
        check_gateway(name, template, method, status, response_headers, text)
        return status, text

    sign = "/v1/signatures"
    nxt = "/v1/process/next"
    signees = "/v1/instances/{org}/{app}/{partyId}/{instanceGuid}/signees"
    body = lambda instance, mode: json.dumps({"app": "ttd/signing-app", "instanceId": instance, "mode": mode})

    # The walkthrough.
    call("sign A parallel", "POST", sign, sign, body(DEMO_A, "parallel"), expect=200)
    call("signees A", "GET", f"/v1/instances/ttd/signing-app/{DEMO_A}/signees", signees, expect=200)
    sigs = "/v1/instances/{org}/{app}/{partyId}/{instanceGuid}/signatures"
    status, text = call("signatures A", "GET", f"/v1/instances/ttd/signing-app/{DEMO_A}/signatures", sigs, expect=200)
    check("signatures A: four documents with digests", status == 200 and len(json.loads(text)["signatures"]) == 4, text[:300])
    call("sign B parallel", "POST", sign, sign, body(DEMO_B, "parallel"), expect=200)
    status, text = call("next B (missing)", "POST", nxt, nxt, json.dumps({"app": "ttd/signing-app", "instanceId": DEMO_B}), expect=409)
    check("next B carries MissingSignatures", "MissingSignatures" in text, text[:300])
    call("next A (complete)", "POST", nxt, nxt, json.dumps({"app": "ttd/signing-app", "instanceId": DEMO_A}), expect=200)
    call("sign C single", "POST", sign, sign, body(DEMO_C, "single"), expect=200)
    call("signees C past task", "GET", f"/v1/instances/ttd/signing-app/{DEMO_C}/signees?taskId=Task_2", signees, expect=200)
    # The signing task's other reads: the documents (any identity), the organisations (users only; the gateway's
    # token is a system user's, so Altinn answers 401 and the gateway says why).
    elements = "/v1/instances/{org}/{app}/{partyId}/{instanceGuid}/signing/data-elements"
    organizations = "/v1/instances/{org}/{app}/{partyId}/{instanceGuid}/signing/organizations"
    status, text = call("data-elements B", "GET", f"/v1/instances/ttd/signing-app/{DEMO_B}/signing/data-elements", elements, expect=200)
    documents = json.loads(text).get("dataElements", []) if status == 200 else []
    check("data-elements B: the one document to sign, without a hash",
          [d.get("dataType") for d in documents] == ["ref-data-as-pdf"] and "contentHash" not in text, text[:300])
    call("data-elements C past task", "GET", f"/v1/instances/ttd/signing-app/{DEMO_C}/signing/data-elements?taskId=Task_2", elements, expect=200)
    call("data-elements E (data task)", "GET", f"/v1/instances/ttd/signing-app/{DEMO_E}/signing/data-elements", elements, expect=409)
    status, text = call("organizations B (system user)", "GET", f"/v1/instances/ttd/signing-app/{DEMO_B}/signing/organizations", organizations, expect=403)
    check("organizations B: user-token-required", json.loads(text).get("type") == "/problems/user-token-required", text[:300])
    call("health", "GET", "/healthz", "/healthz", headers={}, expect=200)
    apps = "/v1/apps/{org}/{app}"
    status, text = call("preflight signing-app", "GET", "/v1/apps/ttd/signing-app", apps, expect=200)
    check("preflight: one signing task with sign and reject",
          status == 200 and [(t["id"], t["sign"], t["reject"]) for t in json.loads(text)["signingTasks"]] == [("Task_2", True, True)],
          text[:300])
    status, text = call("preflight lax app", "GET", "/v1/apps/ttd/lax-signing-app", apps, expect=200)
    codes = {w["code"] for w in json.loads(text)["warnings"]} if status == 200 else set()
    check("preflight: the lax app's warnings", {"repeat-sign-possible", "no-reject-action", "gateway-not-null-safe"} <= codes, str(codes))
    call("preflight unknown app", "GET", "/v1/apps/ttd/no-such-app", apps, expect=404)

    # Bad input: declared problems, nothing upstream. Trackers poll the signed instances meanwhile, so the
    # simulator's request count alone proves nothing: every bad call carries its own trace id, which the
    # gateway would continue into any Altinn call made for it, and Altinn's per-instance counters must not move.
    bad_trace = uuid.uuid4().hex
    traced_bad = {"traceparent": f"00-{bad_trace}-{uuid.uuid4().hex[:16]}-01"}
    bad = {**auth, **traced_bad}
    total_before, _ = simulator_requests(sim)
    counters_before = simulator_instances(sim)
    call("malformed", "POST", sign, sign, '{"app":', headers=bad, expect=400)
    call("unknown member", "POST", sign, sign, '{"app":"ttd/signing-app","instanceId":"%s","mode":"parallel","x":1}' % DEMO_A,
         headers=bad, expect=400)
    call("bad guid", "POST", sign, sign, body("51281269/nope", "parallel"), headers=bad, expect=400)
    call("no auth", "POST", sign, sign, body(DEMO_A, "parallel"), headers={"Content-Type": "application/json", **traced_bad}, expect=401)
    call("wrong type", "POST", sign, sign, body(DEMO_A, "parallel"), headers={**bad, "Content-Type": "text/plain"}, expect=415)
    call("too large", "POST", sign, sign, '{"app":"%s"}' % ("a" * 70000), headers=bad, expect=413)
    call("bad signees path", "GET", "/v1/instances/ttd/signing-app/51281269/nope/signees", signees, headers=bad, expect=400)
    call("bad preflight app", "GET", "/v1/apps/ttd/Signing_App", "/v1/apps/{org}/{app}", headers=bad, expect=400)
    call("no idempotency key", "POST", sign, sign, body(DEMO_A, "parallel"), headers={**bad, "Idempotency-Key": ""}, expect=400)
    counters_after = simulator_instances(sim)
    # A good read with a trace id of its own, after the bad ones: it must show in the log with that trace id,
    # which proves the log covers the bad calls' window and that trace ids do reach Altinn.
    control_trace = uuid.uuid4().hex
    call("control read", "GET", f"/v1/instances/ttd/signing-app/{DEMO_B}/signees", signees,
         headers={**auth, "traceparent": f"00-{control_trace}-{uuid.uuid4().hex[:16]}-01"}, expect=200)
    window, complete = requests_since(sim, total_before)
    traced = lambda trace: [(r["method"], r["path"]) for r in window if trace in (r.get("traceparent") or "")]
    check("bad input: the log still holds every request since", complete and len(window) >= 1, f"{len(window)} requests")
    check("bad input: the control read reached Altinn with its trace id", len(traced(control_trace)) >= 1,
          str([(r["method"], r["path"], r.get("traceparent")) for r in window][-5:]))
    check("bad input reaches no upstream (no Altinn request carries its trace id)", traced(bad_trace) == [],
          str(traced(bad_trace)))
    check("bad input reaches no upstream (only reads while it ran)",
          all(r["method"] == "GET" for r in window), str([(r["method"], r["path"]) for r in window if r["method"] != "GET"]))
    moved = {i: (counters_before[i]["signCalls"], counters_after.get(i, {}).get("signCalls"),
                 counters_before[i]["processNextCalls"], counters_after.get(i, {}).get("processNextCalls"))
             for i in counters_before}
    check("bad input reaches no upstream (no sign or process/next counted by Altinn)",
          all(a == b and c == d for a, b, c, d in moved.values()) and len(counters_after) == len(counters_before),
          str({i: v for i, v in moved.items() if v[0] != v[1] or v[2] != v[3]}))

    # Replay and reuse of a key.
    keyed = {**auth, "Idempotency-Key": '"contract-replay"'}
    call("replay first", "POST", sign, sign, body(DEMO_B, "parallel"), headers=keyed, expect=200)
    call("replay second", "POST", sign, sign, body(DEMO_B, "parallel"), headers=keyed, expect=200)
    call("key reused", "POST", sign, sign, body(DEMO_A, "parallel"), headers=keyed, expect=422)

    # Reject: refused where the task offers none (nothing sent), then B's signing rejected for real.
    rejections = "/v1/rejections"
    reject_body = lambda instance: json.dumps({"app": "ttd/signing-app", "instanceId": instance})
    call("reject E (data task)", "POST", rejections, rejections, reject_body(DEMO_E), expect=409)
    status, text = call("reject B", "POST", rejections, rejections, reject_body(DEMO_B), expect=200)
    check("reject B says what Altinn removed", status == 200 and json.loads(text).get("removedSignatures") == 1, text[:300])

    # The audit log: schema, chain, no secrets.
    status, text = call("audit page", "GET", "/v1/audit?limit=1000", "/v1/audit", expect=200)
    records = json.loads(text)["records"] if status == 200 else []
    check("audit has the forwarded calls", sum(r["operation"] == "sign" for r in records) >= 4, str(len(records)))
    check("audit has the refusals", sum(r["operation"] == "refused" for r in records) >= 7, str(len(records)))
    verify = run_binary("audit", "verify", "--data-dir", work, "--config", gateway.config_path)
    check("audit verify passes", verify.returncode == 0 and "intact" in verify.stdout, verify.stdout + verify.stderr)
    export = run_binary("audit", "export", "--config", gateway.config_path)
    lines = [json.loads(line) for line in export.stdout.splitlines() if line]
    check("audit export writes JSON Lines", export.returncode == 0 and len(lines) == len(records), f"{len(lines)} vs {len(records)}")
    answers.append(export.stdout)

    # What the gateway sent upstream, against Altinn's OpenAPI.
    recorded = json.loads(http("GET", sim + "/_simulator/requests")[2])["requests"]
    check("upstream requests recorded", len(recorded) >= 8, str(len(recorded)))
    for index, request in enumerate(recorded):
        name = f"upstream #{index} {request['method']} {request['path']}"
        template, operation = altinn_operation(request["method"], request["path"])
        check(f"{name}: route exists in Altinn's OpenAPI", operation is not None)
        # The app-level reads are [AllowAnonymous] in Altinn: the gateway sends no token there.
        anonymous = "/api/v1/" in request["path"]
        check(f"{name}: authorization {'absent' if anonymous else 'present'}", request["authorizationPresent"] is (not anonymous))
        wanted = "text/xml" if request["path"].endswith("/api/v1/meta/process") else "application/json"
        check(f"{name}: accept {wanted}", request["accept"] == wanted, str(request["accept"]))
        if operation is None:
            continue
        declared_query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        for pair in filter(None, (request.get("query") or "").split("&")):
            check(f"{name}: query {pair} declared", pair.split("=")[0] in declared_query, str(declared_query))
        if request["body"] is not None:
            schema_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
            check(f"{name}: json content type", (request["contentType"] or "").startswith("application/json"))
            try:
                validate_altinn(schema_ref, request["body"])
                check(f"{name}: body is a valid {schema_ref}", True)
            except jsonschema.ValidationError as error:
                check(f"{name}: body is a valid {schema_ref}", False, str(error).splitlines()[0])

    # The simulator's answers, against Altinn's OpenAPI.
    http("POST", sim + "/_simulator/reset")
    bearer = {"Authorization": f"Bearer {token}", "Accept": "application/json", "Content-Type": "application/json"}
    base = f"{sim}/ttd/signing-app/instances"
    for name, method, path, payload, schema in [
        ("GET process", "GET", f"{base}/{DEMO_A}/process", None, "AppProcessState"),
        ("GET signing", "GET", f"{base}/{DEMO_B}/signing", None, "SigningStateResponse"),
        ("POST actions", "POST", f"{base}/{DEMO_A}/actions", '{"action":"sign"}', "UserActionResponse"),
        ("PUT next", "PUT", f"{base}/{DEMO_A}/process/next", '{"action":null}', "AppProcessState"),
        ("GET signing ended", "GET", f"{base}/{DEMO_A}/signing?taskId=Task_2", None, "SigningStateResponse"),
        ("PUT next missing", "PUT", f"{base}/{DEMO_B}/process/next", '{"action":null}', "ProblemDetails"),
        ("GET instance", "GET", f"{base}/{DEMO_B}", None, "Instance"),
        ("GET signing/data-elements", "GET", f"{base}/{DEMO_B}/signing/data-elements", None, "SigningDataElementsResponse"),
        ("GET signing/organizations (system user)", "GET", f"{base}/{DEMO_B}/signing/organizations", None, "ProblemDetails"),
        ("GET applicationmetadata", "GET", f"{sim}/ttd/signing-app/api/v1/applicationmetadata", None, "ApplicationMetadata"),
        ("GET applicationmetadata (lax)", "GET", f"{sim}/ttd/lax-signing-app/api/v1/applicationmetadata", None, "ApplicationMetadata"),
    ]:
        status, _, text = http(method, path, payload, bearer)
        try:
            validate_altinn(schema, json.loads(text))
            check(f"simulator {name} ({status}) is a valid {schema}", True)
        except (jsonschema.ValidationError, json.JSONDecodeError) as error:
            check(f"simulator {name} ({status}) is a valid {schema}", False, str(error).splitlines()[0] + " " + text[:200])

    # The process definitions are served as Altinn declares it (200 text/xml), without a token.
    for app in ("signing-app", "lax-signing-app"):
        status, headers, text = http("GET", f"{sim}/ttd/{app}/api/v1/meta/process", None, {})
        check(f"simulator GET meta/process ({app}) is text/xml", status == 200 and headers.get("Content-Type", "").startswith("text/xml")
              and "<" in text, f"{status} {headers.get('Content-Type')}")
    check("simulator: unknown app is 404", http("GET", f"{sim}/ttd/no-such-app/api/v1/applicationmetadata", None, {})[0] == 404)

    # `token check` walks the real Maskinporten path against an in-process simulator and prints facts only.
    check_dir = str(tmp_path / "token-check")
    os.makedirs(check_dir)
    checked = run_binary("token", "check", "--data-dir", check_dir, timeout=120)
    check("token check succeeds", checked.returncode == 0, checked.stdout + checked.stderr)
    check("token check prints expiry and scopes", "expires" in checked.stdout and "altinn:instances.write" in checked.stdout, checked.stdout)
    check("token check prints no JWT", not re.search(r"eyJ[A-Za-z0-9_-]{10,}", checked.stdout + checked.stderr), checked.stdout)
    private_key = "".join(open(os.path.join(root, name)).read() for root, _, names in os.walk(check_dir) for name in names if name.endswith(".pem"))
    key_body = "".join(private_key.splitlines()[1:3])
    check("token check prints no private key", not key_body or key_body not in checked.stdout + checked.stderr)

    # Secrets: nowhere in answers or logs.
    for name, content in (("simulator", simulator.log_text()), ("gateway", gateway.log_text())):
        check(f"{name} log has no Altinn token", token not in content)
        if name == "gateway":
            check("gateway log has no client key", key not in content)
    joined = "\n".join(answers)
    check("answers have no Altinn token", token not in joined)
    check("answers have no client key", key not in joined)
