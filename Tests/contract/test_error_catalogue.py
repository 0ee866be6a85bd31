"""One error catalogue: the README's table, openapi.yaml and the running gateway say the same thing.

Every problem type the gateway knows is a row of the README's "Error catalogue" table with its status and the
client's next action; the spec's `Problem.type` enum and `NextAction` enum hold exactly those; `GET /problems`
lists them with guidance; each `type` resolves (`GET /problems/{slug}` answers with its entry); and real answers
carry the `nextAction` their type promises.
"""
import json
import os
import re

import yaml

from support import ROOT, check, http


def readme_rows():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    section = text.split("## Error catalogue", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"^\| `(/problems/[a-z-]+)` \| (\d{3}) \| `([a-z-]+)` \| (.+) \|$", line)
        if match:
            rows[match.group(1)] = (int(match.group(2)), match.group(3), match.group(4))
    legend = set(re.findall(r"^- `([a-z-]+)`: ", section, re.M))
    return rows, legend


def test_readme_spec_and_gateway_hold_one_catalogue(gateway):
    gw = gateway()
    status, _, text = http("GET", gw.url + "/problems")
    check("GET /problems answers", status == 200, text[:300])
    served = {entry["type"]: entry for entry in json.loads(text)}
    rows, legend = readme_rows()
    spec = yaml.safe_load(open(os.path.join(ROOT, "openapi.yaml"), encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    spec_types = set(schemas["Problem"]["properties"]["type"]["enum"])
    spec_actions = set(schemas["NextAction"]["enum"])

    check("the README's table lists exactly the served types", set(rows) == set(served),
          f"only README: {sorted(set(rows) - set(served))}; only served: {sorted(set(served) - set(rows))}")
    check("openapi's Problem.type enum lists exactly the served types", spec_types == set(served),
          f"{sorted(spec_types ^ set(served))}")
    check("the README explains every next action, and only those the spec has", legend == spec_actions,
          f"README: {sorted(legend)}; spec: {sorted(spec_actions)}")
    for type_uri, entry in served.items():
        row = rows.get(type_uri)
        check(f"{type_uri}: README status and next action match the gateway",
              row is not None and row[0] == entry["status"] and row[1] == entry["nextAction"], f"{row} vs {entry}")
        check(f"{type_uri}: next action is one the spec names", entry["nextAction"] in spec_actions, entry)
        check(f"{type_uri}: has guidance", len(entry["guidance"]) > 10, entry)
        status, headers, body = http("GET", gw.url + type_uri)
        check(f"{type_uri} resolves to its entry", status == 200 and json.loads(body) == entry, f"{status} {body[:200]}")

    status, headers, body = http("GET", gw.url + "/problems/no-such-problem")
    problem = json.loads(body)
    check("an unknown problem slug is a 404 problem naming the catalogue",
          status == 404 and problem["type"] == "/problems/not-found" and "GET /problems" in problem["detail"], body)


def test_answers_carry_their_types_next_action(gateway):
    gw = gateway()
    key = gw.client_key()
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    _, _, catalogue = http("GET", gw.url + "/problems")
    promised = {entry["type"]: entry["nextAction"] for entry in json.loads(catalogue)}
    cases = [
        ("unauthenticated", "GET", "/v1/audit", None, {}),
        ("wrong method", "DELETE", "/v1/signatures", None, auth),
        ("bad body", "POST", "/v1/signatures", '{"mode":"sideways"}', {**auth, "Idempotency-Key": '"k-1"'}),
        ("missing key", "POST", "/v1/signatures",
         '{"app":"ttd/signing-app","instanceId":"51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a02","mode":"parallel"}',
         auth),
        ("ended process", "POST", "/v1/signatures",
         '{"app":"ttd/signing-app","instanceId":"51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a04","mode":"parallel"}',
         {**auth, "Idempotency-Key": '"k-ended"'}),
    ]
    for name, method, path, body, headers in cases:
        status, response_headers, text = http(method, gw.url + path, body=body, headers=headers)
        problem = json.loads(text)
        check(f"{name}: a problem whose nextAction is its type's ({problem.get('type')})",
              status >= 400 and problem.get("nextAction") == promised.get(problem.get("type")), text[:300])
        if "errors" in problem:
            for member in problem["errors"]:
                places = [k for k in ("pointer", "parameter", "header") if k in member]
                check(f"{name}: each errors[] member names exactly one place", len(places) == 1, member)
