"""The command line as a newcomer meets it (issue 17): `--version`; EXAMPLES and EXIT CODES in every `--help`, the
examples run as they are and use only options their command shows; each subcommand shows only the options it reads
(docs/cli.md's table); an unknown subcommand is named as such (64) while no subcommand still runs serve; `keys
generate` never replaces a key without `--force`; the store-reading commands never create a store; `clients new`
honours `--config`, offers every operation and never repeats a credential id; `config check` output loads back as
is; a client's unknown token profile and `serve --upstream tt02` without a file say what to fix."""
import hashlib
import json
import os
import re
import signal
import stat
import subprocess
import uuid

from support import BINARY, DEMO_A, JSON, ROOT, check, free_port, http, run_binary, wait_ready

# The loader's environment variables: a developer's shell must not change what these tests load.
LOADER_VARIABLES = {"SIGNING_GATEWAY_HOST", "SIGNING_GATEWAY_PORT", "SIGNING_GATEWAY_DATA_DIR",
                    "SIGNING_GATEWAY_UPSTREAM", "SIGNING_GATEWAY_LOG_LEVEL", "SIGNING_GATEWAY_LOG_FORMAT",
                    "SIGNING_GATEWAY_DEFAULT_TOKEN_PROFILE", "SIGNING_GATEWAY_POSTGRES_URL",
                    "SIGNING_GATEWAY_POSTGRES_PASSWORD_FILE", "SIGNING_GATEWAY_ALTINN_EVENTS_SECRET_FILE"}
FIVE_FLAGS = ("--config", "--data-dir", "--host", "--port", "--upstream")


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in LOADER_VARIABLES}
    env["COLUMNS"] = "80"  # the help's width, whatever the terminal
    env.update(extra)
    return env


def run(*args, cwd=None, timeout=120, **env):
    return subprocess.run([BINARY, *args], capture_output=True, text=True, cwd=cwd, env=clean_env(**env),
                          timeout=timeout)


# ---------- Reading --help ----------
_helps = {}


def help_of(path):
    """The `--help` text of a command path (a tuple of words), cached."""
    if path not in _helps:
        answer = run(*path, "--help")
        assert answer.returncode == 0, (path, answer.stderr)
        _helps[path] = answer.stdout
    return _helps[path]


def section(text, title, end):
    """The lines after `title` up to the first line matching `end` (a regex)."""
    lines = text.splitlines()
    if title not in lines:
        return None
    out = []
    for line in lines[lines.index(title) + 1:]:
        if re.match(end, line):
            break
        out.append(line)
    return out


def subcommands(path):
    lines = section(help_of(path), "SUBCOMMANDS:", r"^\S") or []
    return [m.group(1) for m in (re.match(r"^  ([a-z][a-z-]*)(?: \(default\))?(?:\s{2,}|$)", l) for l in lines) if m]


def all_paths():
    """Every command path, the root included, found by walking the help (a new subcommand is covered by itself)."""
    paths, todo = [], [()]
    while todo:
        path = todo.pop(0)
        paths.append(path)
        todo += [path + (name,) for name in subcommands(path)]
    return paths


def options_of(path):
    lines = section(help_of(path), "OPTIONS:", r"^\S") or []
    return {m.group(1) for m in (re.match(r"^\s+(?:-\w, )?(--[a-z-]+)", l) for l in lines) if m}


def exit_codes_of(path):
    lines = section(help_of(path), "EXIT CODES:", r"^(USAGE:|$)") or []
    return [int(m.group(1)) for m in (re.match(r"^  (\d+)\s", l) for l in lines) if m]


def examples_of(path):
    """[(comment, command)] of the EXAMPLES block, a command's ` \\` continuations joined. Every line must be a
    comment, a command or a continuation: a line the help wrapped would be neither, and fails here."""
    lines = section(help_of(path), "EXAMPLES:", r"^EXIT CODES:$")
    check(f"{' '.join(path) or 'root'}: --help has EXAMPLES and EXIT CODES", lines is not None
          and exit_codes_of(path), help_of(path)[:300])
    examples, comment, open_comment, pending = [], "", False, None
    for line in lines or []:
        check(f"{' '.join(path) or 'root'}: example lines fit 80 columns", len(line) <= 80, line)
        if pending is not None:
            check("a continuation line is indented", line.startswith("      "), line)
            pending += " " + line.strip().removesuffix("\\").strip()
            if not line.endswith("\\"):
                examples.append((comment, pending))
                pending = None
        elif line.startswith("  # "):
            comment = (comment + " " if open_comment else "") + line[4:]
            open_comment = True
        elif line.startswith("  signing-gateway"):
            open_comment = False
            if line.endswith("\\"):
                pending = line.strip().removesuffix("\\").strip()
            else:
                examples.append((comment, line.strip()))
        elif line.strip() == "":
            comment, open_comment = "", False
        else:
            check("an example line is a comment, a command or a continuation", False, line)
    return examples


def invoked(command):
    """The command path an example line runs (serve when no subcommand is named)."""
    words = command.split(">")[0].split()[1:]
    path = ()
    while words and words[0] in subcommands(path):
        path += (words.pop(0),)
    return path if path else ("serve",)


def documented_exit_codes():
    text = open(os.path.join(ROOT, "docs", "cli.md")).read()
    table = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    return {int(code) for code in re.findall(r"^\| (\d+) \|", table, re.M)}


def documented_options():
    """docs/cli.md's options table: {command path: set of the five flags}."""
    text = open(os.path.join(ROOT, "docs", "cli.md")).read()
    table = text.split("## Options", 1)[1].split("\n## ", 1)[0]
    wanted = {}
    for flags, commands in re.findall(r"^\| (.+?) \| (.+?) \|$", table, re.M):
        if flags.startswith("options") or set(flags) <= {"-", " ", "|"}:
            continue
        named = set(re.findall(r"`(--[a-z-]+)`", flags))
        for command in re.findall(r"`([a-z -]+)`", commands):
            wanted[tuple(command.split())] = named
    return wanted


# ---------- Help: examples, exit codes, options ----------
def test_every_help_has_examples_exit_codes_and_only_its_options():
    paths = all_paths()
    check("the walk finds every subcommand", {("serve",), ("audit", "verify"), ("clients", "new"),
                                              ("keys", "generate"), ("config", "check")} <= set(paths), str(paths))
    documented = documented_exit_codes()
    check("docs/cli.md's exit-code table has 0, 1, 2 and 64", {0, 1, 2, 64} <= documented, str(documented))
    for path in paths:
        name = " ".join(path) or "root"
        codes = exit_codes_of(path)
        check(f"{name}: its exit codes are the documented ones", codes and set(codes) <= documented, str(codes))
        check(f"{name}: 0 and 64 are listed", {0, 64} <= set(codes), str(codes))
        examples = examples_of(path)
        check(f"{name}: has examples", len(examples) >= 1, help_of(path)[:400])
        for _, command in examples:
            target = invoked(command)
            check(f"{name}: '{command}' runs {' '.join(path) or 'some subcommand'}",
                  not path or target[:len(path)] == path or path == ("serve",), str(target))
            flags = set(re.findall(r"(?<!\S)(--[a-z-]+)", command))
            unknown = flags - options_of(target)
            check(f"{name}: '{command}' uses only options of {' '.join(target)}", not unknown, str(unknown))

    # Options only where they apply: exactly docs/cli.md's table, for every leaf command.
    wanted = documented_options()
    leaves = [p for p in paths if p and not subcommands(p)]
    for path in leaves:
        shown = options_of(path) & set(FIVE_FLAGS)
        check(f"{' '.join(path)} is in docs/cli.md's options table", path in wanted, str(sorted(wanted)))
        check(f"{' '.join(path)} shows exactly {sorted(wanted.get(path, set()))}", shown == wanted.get(path, set()),
              str(sorted(shown)))
    # The ones the issue named.
    for path in (("audit", "verify"), ("clients", "new"), ("keys", "generate")):
        check(f"{' '.join(path)} shows no --host/--port", not options_of(path) & {"--host", "--port"})


def test_the_examples_run_as_they_are(work, simulator, gateway):
    """Every example of every --help but serve's, simulate's and events receive's (they run until stopped; the
    receiver's examples run in test_receiver.py and the README walkthrough), in a directory holding
    the config.json they name: a gateway's configuration on the test simulator, with a client `erp` (so the
    rotation example has one) and one signed request (so the audit log has a record to checkpoint)."""
    key = "sgk_" + uuid.uuid4().hex + uuid.uuid4().hex
    server = gateway(name="config", clients={"erp": {
        "credentials": [{"id": "erp-key", "apiKeySha256": hashlib.sha256(key.encode()).hexdigest()}],
        "policy": {"apps": ["ttd/*"], "operations": ["sign", "read"]}}})
    status, _, body = http("POST", server.url + "/v1/signatures",
                           json.dumps({"app": "ttd/signing-app", "instanceId": DEMO_A, "mode": "parallel"}),
                           {**JSON, "Authorization": f"Bearer {key}", "Idempotency-Key": uuid.uuid4().hex})
    check("a first signed request, for the audit log", status == 200, body[:300])

    examples = []
    for path in all_paths():
        for comment, command in examples_of(path):
            if invoked(command)[0] not in ("serve", "simulate", "events") and command not in [c for _, c in examples]:
                examples.append((comment, command))
    check("examples of the store, key, client, config, token and app commands", len(examples) >= 15,
          str(len(examples)))
    env = clean_env(PATH=os.path.dirname(os.path.abspath(BINARY)) + os.pathsep + os.environ.get("PATH", ""))
    # Some examples use what another one makes (head.jsonl, audit.pub, effective.json): run rounds until none
    # succeeds any more; what is left failed on its own.
    left, results = list(examples), {}
    while left:
        progressed = False
        for comment, command in list(left):
            answer = subprocess.run(["bash", "-c", command], cwd=work, env=env, capture_output=True, text=True,
                                    timeout=120)
            expected = 2 if "(exit 2)" in comment else 0
            results[command] = answer
            if answer.returncode == expected:
                left.remove((comment, command))
                progressed = True
        if not progressed:
            break
    for comment, command in examples:
        answer = results[command]
        check(f"example runs: {command}", (comment, command) not in left,
              f"exit {answer.returncode}: {answer.stderr[-400:]}")


# ---------- Unknown subcommand, and serve by default ----------
def test_an_unknown_subcommand_is_named_and_no_subcommand_runs_serve(work):
    names = subcommands(())
    for words, parent in ((("bogus",), "signing-gateway"), (("audit", "bogus"), "signing-gateway audit")):
        answer = run(*words, cwd=work)
        check(f"{' '.join(words)}: exit 64", answer.returncode == 64, str(answer.returncode))
        listed = subcommands(words[:-1])
        check(f"{' '.join(words)}: says unknown subcommand and lists them all",
              f"unknown subcommand 'bogus'; the subcommands are {', '.join(listed)}" in answer.stderr, answer.stderr)
        check(f"{' '.join(words)}: points at {parent} --help", f"see {parent} --help" in answer.stderr, answer.stderr)
        check(f"{' '.join(words)}: no usage of another command", "Usage:" not in answer.stderr, answer.stderr)
    check("the root lists serve among its subcommands", "serve" in names, str(names))
    check("nothing made by a refused command", os.listdir(work) == [], str(os.listdir(work)))

    # Options alone still run serve: it reads the file (and says it cannot).
    missing = run("--config", os.path.join(work, "missing.json"), cwd=work)
    check("--config alone runs serve", missing.returncode == 1 and "cannot read" in missing.stderr
          and "missing.json" in missing.stderr, missing.stderr)
    # No arguments at all: serve with the embedded default (port and data directory from the environment, so the
    # test takes no fixed port), until SIGTERM, which ends it with 0.
    port = free_port()
    data = os.path.join(work, "default")
    with open(os.path.join(work, "serve.log"), "w") as log:
        process = subprocess.Popen([BINARY], cwd=work, stdout=log, stderr=subprocess.STDOUT,
                                   env=clean_env(SIGNING_GATEWAY_PORT=str(port), SIGNING_GATEWAY_DATA_DIR=data))
    try:
        wait_ready(f"http://127.0.0.1:{port}/healthz", process)
        check("no arguments: serve answers", http("GET", f"http://127.0.0.1:{port}/healthz")[0] == 200)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    check("serve stopped by SIGTERM exits 0 (as its --help says)", code == 0, str(code))


# ---------- keys generate ----------
def test_version_and_keys_generate_refuses_to_replace_unless_forced(tmp_path):
    version = run_binary("--version")
    check("--version prints the version and exits 0",
          version.returncode == 0 and version.stdout.strip().count(".") == 2, version.stdout + version.stderr)

    out = str(tmp_path / "keys")
    first = run_binary("keys", "generate", "--kid", "erp-2026-01", "--out", out)
    check("keys generate makes a key", first.returncode == 0, first.stderr)
    pem = os.path.join(out, "erp-2026-01.private.pem")
    jwk = os.path.join(out, "erp-2026-01.public.jwk.json")
    before = open(pem, "rb").read() if os.path.exists(pem) else b""
    again = run_binary("keys", "generate", "--kid", "erp-2026-01", "--out", out)
    check("a second key with the same kid is refused", again.returncode == 1, again.stdout + again.stderr)
    check("…saying why and what to do", "already exists" in again.stderr and "--kid" in again.stderr
          and "--force" in again.stderr, again.stderr)
    check("…and the first key is kept", before and open(pem, "rb").read() == before)

    jwk_before = open(jwk).read() if os.path.exists(jwk) else ""
    forced = run_binary("keys", "generate", "--kid", "erp-2026-01", "--out", out, "--force")
    check("--force replaces it", forced.returncode == 0, forced.stderr)
    check("…a new private key and a new public JWK", before and open(pem, "rb").read() != before
          and open(jwk).read() != jwk_before)
    check("…said on stderr, naming the kid and the files", "replaced the existing key of kid erp-2026-01" in
          forced.stderr and pem in forced.stderr, forced.stderr)
    check("…the private key still 0600", stat.S_IMODE(os.stat(pem).st_mode) == 0o600, oct(os.stat(pem).st_mode))
    check("…the new JWK is what it printed", json.loads(open(jwk).read())["kid"] == "erp-2026-01"
          and open(jwk).read().strip() in forced.stdout)
    check("--force is documented in the help", "--force" in options_of(("keys", "generate")))
    fresh = run_binary("keys", "generate", "--kid", "erp-2026-02", "--out", out, "--force")
    check("--force on a new kid replaces nothing and says nothing", fresh.returncode == 0 and fresh.stderr == "",
          fresh.stderr)


# ---------- The store-reading commands never make a store ----------
def test_store_commands_on_a_missing_store_fail_and_create_nothing(work):
    typo = os.path.join(work, "typo")
    for command in (("audit", "verify"), ("audit", "export"), ("audit", "checkpoint")):
        name = " ".join(command)
        answer = run(*command, "--data-dir", typo, cwd=work)
        check(f"{name} --data-dir <missing>: exit 1", answer.returncode == 1, answer.stdout + answer.stderr)
        check(f"{name}: names the missing path and the flag", os.path.join(typo, "signing-gateway.sqlite")
              in answer.stderr and "--data-dir" in answer.stderr and "does not exist" in answer.stderr, answer.stderr)
        check(f"{name}: no 'intact' on stdout", "intact" not in answer.stdout, answer.stdout)

        config = os.path.join(work, "cfg.json")
        with open(config, "w") as handle:
            json.dump({"upstream": {"environment": "simulator"}, "dataDirectory": os.path.join(work, "typo2")}, handle)
        answer = run(*command, "--config", config, cwd=work)
        check(f"{name} --config (its dataDirectory missing): names the key in that file", answer.returncode == 1
              and f"dataDirectory in {config}" in answer.stderr, answer.stderr)

        with open(config, "w") as handle:
            json.dump({"upstream": {"environment": "simulator"},
                       "storage": {"sqlitePath": os.path.join(work, "typo3", "gw.sqlite")}}, handle)
        answer = run(*command, "--config", config, cwd=work)
        check(f"{name} --config (its storage.sqlitePath missing): names that key", answer.returncode == 1
              and "storage.sqlitePath" in answer.stderr and "typo3" in answer.stderr, answer.stderr)

        # The embedded default, where no gateway ever ran: ./.signing-gateway is not made either.
        answer = run(*command, cwd=work)
        check(f"{name} in a directory where no gateway ran: exit 1", answer.returncode == 1, answer.stderr)
        check(f"{name}: created nothing", sorted(os.listdir(work)) == ["cfg.json"], str(os.listdir(work)))
        os.remove(config)


def test_audit_verify_still_reads_an_existing_store(work, simulator, gateway):
    server = gateway()
    status, _, body = http("POST", server.url + "/v1/signatures",
                           json.dumps({"app": "ttd/signing-app", "instanceId": DEMO_A, "mode": "parallel"}),
                           {**JSON, "Authorization": f"Bearer {server.client_key()}",
                            "Idempotency-Key": uuid.uuid4().hex})
    check("a signed request", status == 200, body[:300])
    verify = run("audit", "verify", "--config", server.config_path)
    check("audit verify on the gateway's store: intact, 1 record or more", verify.returncode == 0
          and re.search(r"intact: [1-9]\d* records", verify.stdout), verify.stdout + verify.stderr)


# ---------- clients new ----------
def snippet(stdout):
    """The printed client lines, parsed (they are a JSON member: wrapped in braces they load)."""
    start = stdout.index('\n  "')
    end = stdout.index("\n  }\n", start) + 4
    return json.loads("{" + stdout[start:end] + "}")


def rotation(stdout):
    lines = [line for line in stdout.splitlines() if line.startswith("      { ")]
    return json.loads("[" + "\n".join(lines) + "]")


def test_clients_new_honours_the_configuration_and_never_repeats_an_id(work):
    first, second = run("clients", "new", "--id", "erp", cwd=work), run("clients", "new", "--id", "erp", cwd=work)
    check("clients new (no configuration): exit 0", first.returncode == 0 and second.returncode == 0,
          first.stderr + second.stderr)
    ids = [c["id"] for answer in (first, second) for c in snippet(answer.stdout)["erp"]["credentials"]]
    check("two runs on one day: four distinct credential ids", len(set(ids)) == 4, str(ids))
    check("nothing written without --config or --data-dir", os.listdir(work) == [], str(os.listdir(work)))

    # Every operation a client can be given, as the gateway itself lists them when refusing an unknown one.
    probe = os.path.join(work, "probe.json")
    with open(probe, "w") as handle:
        json.dump({"upstream": {"environment": "simulator"}, "clients": {"p": {
            "credentials": [{"id": "k", "apiKeySha256": "ab" * 32}],
            "policy": {"apps": ["*"], "operations": ["no-such-operation"]}}}}, handle)
    refused = run("config", "check", "--config", probe, cwd=work)
    listed = re.search(r"is not one of ([a-zA-Z, ]+)", refused.stderr)
    every = set(listed.group(1).split(", ")) if listed else set()
    offered = set(snippet(first.stdout)["erp"]["policy"]["operations"])
    check("the gateway lists its operations", {"sign", "events"} <= every, refused.stderr)
    check("clients new offers every operation but admin (events included)", offered == every - {"admin"},
          f"{sorted(offered)} vs {sorted(every)}")
    check("…and says admin is left out on purpose", '"admin"' in first.stdout, first.stdout[-400:])
    os.remove(probe)

    # With a configuration: its data directory, its token profile, its clients.
    data = os.path.join(work, "data")
    token = os.path.join(work, "token")
    open(token, "w").write("static-token")
    config = os.path.join(work, "config.json")
    existing_key = "sgk_" + uuid.uuid4().hex
    base = {"upstream": {"environment": "http://127.0.0.1:9"}, "dataDirectory": data,
            "tokenProfiles": {"erp-profile": {"kind": "static", "tokenFile": token}},
            "defaultTokenProfile": "erp-profile",
            "clients": {"erp": {"credentials": [{"id": "erp-old", "apiKeySha256": hashlib.sha256(
                existing_key.encode()).hexdigest()}], "policy": {"apps": ["*"], "operations": ["sign"]}}}}
    json.dump(base, open(config, "w"))

    taken = run("clients", "new", "--config", config, "--id", "erp", cwd=work)
    check("a configured id is refused without --rotate", taken.returncode == 1 and "clients.erp is already "
          "configured" in taken.stderr and "--rotate" in taken.stderr, taken.stdout + taken.stderr)
    unknown = run("clients", "new", "--config", config, "--id", "case", "--rotate", cwd=work)
    check("--rotate for an id not configured is refused", unknown.returncode == 1
          and "not configured" in unknown.stderr, unknown.stdout + unknown.stderr)
    check("…and neither wrote anything", not os.path.exists(data), str(os.listdir(work)))

    made = run("clients", "new", "--config", config, "--id", "case", cwd=work)
    check("a new client of the configuration", made.returncode == 0, made.stderr)
    client = snippet(made.stdout)["case"] if made.returncode == 0 else {}
    secret_file = next((c["hmacSecretFile"] for c in client.get("credentials", []) if "hmacSecretFile" in c), "")
    check("its secret is written into the configuration's data directory", secret_file.startswith(
          os.path.join(data, "client-secrets") + os.sep) and os.path.exists(secret_file), secret_file)
    check("…mode 0600, a whsec_ secret, and not printed", os.path.exists(secret_file)
          and stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
          and open(secret_file).read().startswith("whsec_") and open(secret_file).read() not in made.stdout)
    check("…with the configuration's token profile", client.get("policy", {}).get("tokenProfiles") == ["erp-profile"]
          and client["policy"].get("defaultTokenProfile") == "erp-profile", str(client.get("policy")))
    base["clients"].update({"case": client})
    json.dump(base, open(config, "w"))
    pasted = run("config", "check", "--config", config, cwd=work)
    check("the lines pasted as printed: config check accepts them", pasted.returncode == 0, pasted.stderr)

    rotated = run("clients", "new", "--config", config, "--id", "case", "--rotate", cwd=work)
    check("--rotate for the configured client", rotated.returncode == 0, rotated.stderr)
    credentials = rotation(rotated.stdout) if rotated.returncode == 0 else []
    check("…prints only credentials, two new ones", len(credentials) == 2 and '"policy"' not in rotated.stdout,
          rotated.stdout)
    base["clients"]["case"]["credentials"] += credentials
    json.dump(base, open(config, "w"))
    both = run("config", "check", "--config", config, cwd=work)
    check("old and new credentials side by side: accepted (ids unique)", both.returncode == 0, both.stderr)


# ---------- config check ----------
def test_config_check_output_loads_back_as_is(work):
    default = run("config", "check", cwd=work)
    check("config check (embedded default): exit 0", default.returncode == 0, default.stderr)
    printed = os.path.join(work, "effective.json")
    open(printed, "w").write(default.stdout)
    again = run("config", "check", "--config", printed, cwd=work)
    check("its output loads back and prints the same", again.returncode == 0 and again.stdout == default.stdout,
          again.stderr + "\n" + again.stdout[:300] + "\n" + default.stdout[:300])

    # A configuration with every section, its files present.
    keys = run("keys", "generate", "--kid", "erp-2026-01", "--out", os.path.join(work, "keys"), cwd=work)
    check("a Maskinporten key for it", keys.returncode == 0, keys.stderr)
    secret = os.path.join(work, "erp.whsec")
    open(secret, "w").write("whsec_" + __import__("base64").b64encode(os.urandom(32)).decode())
    token = os.path.join(work, "token")
    open(token, "w").write("static-token")
    events_secret = os.path.join(work, "altinn-events.secret")
    open(events_secret, "w").write("a-shared-secret-of-some-length")
    rich = {
        "host": "127.0.0.1", "port": 9443, "dataDirectory": os.path.join(work, "data"), "logLevel": "notice",
        "trustedProxies": ["10.0.0.0/8"], "forwardedHeader": "forwarded",
        "upstream": {"environment": "tt02", "timeoutMilliseconds": 8000, "preflightCacheSeconds": 60},
        "tokenProfiles": {
            "erp": {"kind": "maskinporten", "clientId": "00000000-0000-0000-0000-000000000001", "kid": "erp-2026-01",
                    "keyFile": os.path.join(work, "keys", "erp-2026-01.private.pem"),
                    "scopes": ["altinn:instances.read", "altinn:instances.write"], "systemUserOrg": "310000001"},
            "pasted": {"kind": "static", "tokenFile": token}},
        "defaultTokenProfile": "erp",
        "clients": {"erp": {"description": "ERP", "credentials": [
            {"id": "erp-key", "apiKeySha256": hashlib.sha256(b"sgk_x").hexdigest()},
            {"id": "erp-hmac", "hmacSecretFile": secret}],
            "policy": {"apps": ["ttd/*"], "operations": ["sign", "events"], "tokenProfiles": ["erp", "pasted"],
                       "defaultTokenProfile": "erp", "rateLimit": {"perSecond": 0.5, "burst": 3}}}},
        "events": {"trackingInitialIntervalSeconds": 0.25, "stallAfterHours": 1.5, "deliveryJitter": 0.05,
                   "deliverySchedule": ["500ms", "5s"], "altinnEventsSecretFile": events_secret},
        "audit": {"checkpointIntervalSeconds": 60, "retentionDays": 400},
        "preAuth": {"perSecond": 2.5, "burst": 7},
        "console": {"enabled": False, "sessionMinutes": 0.5, "secureCookie": True},
    }
    source = os.path.join(work, "rich.json")
    json.dump(rich, open(source, "w"))
    first = run("config", "check", "--config", source, cwd=work)
    check("config check (every section): exit 0", first.returncode == 0, first.stderr)
    open(printed, "w").write(first.stdout)
    second = run("config", "check", "--config", printed, cwd=work)
    check("…its output loads back and prints the same", second.returncode == 0 and second.stdout == first.stdout,
          second.stderr)
    effective = json.loads(first.stdout) if first.returncode == 0 else {}
    check("numbers are JSON numbers", isinstance(effective.get("preAuth", {}).get("perSecond"), float)
          and effective["clients"]["erp"]["policy"]["rateLimit"]["perSecond"] == 0.5
          and effective["events"]["deliveryJitter"] == 0.05, first.stdout[:200])
    check("the console section is printed", effective.get("console", {}).get("sessionMinutes") == 0.5)


def test_reference_errors_name_the_key_and_the_fix(work):
    token = os.path.join(work, "token")
    open(token, "w").write("static-token")
    config = os.path.join(work, "config.json")
    json.dump({"upstream": {"environment": "http://127.0.0.1:9"},
               "tokenProfiles": {"dev": {"kind": "static", "tokenFile": token}}, "defaultTokenProfile": "dev",
               "clients": {"erp": {"credentials": [{"id": "k", "apiKeySha256": "ab" * 32}],
                                   "policy": {"apps": ["*"], "operations": ["sign"],
                                              "tokenProfiles": ["dev", "erp-typo"]}}}}, open(config, "w"))
    answer = run("config", "check", "--config", config, cwd=work)
    check("a client naming an unconfigured token profile is refused", answer.returncode == 1, answer.stdout)
    check("…at its key path, with the fix", "clients.erp.policy.tokenProfiles[1] 'erp-typo' is not a configured "
          "token profile: configure tokenProfiles.erp-typo or remove it" in answer.stderr, answer.stderr)
    serve = run("serve", "--config", config, cwd=work, timeout=60)
    check("serve refuses it the same way", serve.returncode == 1 and "tokenProfiles[1]" in serve.stderr, serve.stderr)


def test_serve_upstream_tt02_without_a_file_says_what_it_needs(work):
    offered = "tt02" in help_of(("serve",))
    check("serve --help offers tt02", offered)
    for command in (("serve", "--upstream", "tt02"), ("config", "check", "--upstream", "tt02")):
        answer = run(*command, "--data-dir", os.path.join(work, "data"), cwd=work, timeout=60)
        name = " ".join(command)
        check(f"{name}: exit 1", answer.returncode == 1, answer.stdout + answer.stderr)
        for needed in ("tt02 needs a configuration file", "clients", "maskinporten token profile",
                       "README's Configuration section", "signing-gateway config check --config"):
            check(f"{name}: the message says {needed!r}", needed in answer.stderr, answer.stderr)
