"""The README walkthrough, run verbatim and twice in a row: the `sh` block under "## Walkthrough" against
`signing-gateway serve` on its embedded default (no configuration file: built-in simulator, dev client key), as
`make run` starts it. Only addresses are rewritten (free ports instead of 8080 and 9999, the built binary instead of
`swift build --show-bin-path`); each step's answer is checked for what the comment above it promises.
"""
import os
import re
import subprocess

from support import BINARY, ROOT, check, free_port, stop, wait_ready


def walkthrough_script():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    section = text.split("## Walkthrough", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def test_readme_walkthrough_runs_verbatim_twice(tmp_path):
    port = free_port()
    log = open(tmp_path / "gateway.log", "wb")
    # As `make run`: `serve` with no configuration file, in a fresh directory (the data directory is ./.signing-gateway).
    gateway = subprocess.Popen([BINARY, "serve", "--port", str(port)], cwd=tmp_path, stdout=log, stderr=log)
    try:
        wait_ready(f"http://127.0.0.1:{port}/healthz", gateway)
        script = walkthrough_script()
        for line in ("GW=http://127.0.0.1:8080", "SG=$(swift build --show-bin-path)/signing-gateway",
                     "http://127.0.0.1:9999/", "--port 9999"):
            check(f"the walkthrough has `{line}`", line in script)
        receiver = free_port()
        script = (script.replace("GW=http://127.0.0.1:8080", f"GW=http://127.0.0.1:{port}")
                  .replace("SG=$(swift build --show-bin-path)/signing-gateway", f"SG={BINARY}")
                  .replace("9999", str(receiver)))
        # Each curl's output on its own line, so the answers can be told apart.
        script = "set -euo pipefail\ncurl() { command curl \"$@\"; echo; }\n" + script
        for run_number in (1, 2):
            run = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
            check(f"run {run_number}: the walkthrough runs without a failing command", run.returncode == 0,
                  run.stdout[-800:] + run.stderr[-800:])
            out = run.stdout
            expectations = [
                ("0. the preflight reports the app's signing task", '"Task_2"' in out and '"warnings"' in out),
                ("1. the parallel sign answers with the completed signing and its proof",
                 '"complete":true' in out and '"proof":{"available":true' in out),
                ("2. the signature documents carry SHA-256 digests",
                 re.search(r'"sha256":"[0-9a-f]{64}"', out) is not None),
                ("3. completing A ends its process", '"ended":true' in out),
                ("4. completing B answers missing-signatures, telling the client to use a new key",
                 "/problems/missing-signatures" in out and '"nextAction":"new-key"' in out),
                ("4. the reject of B says Altinn removed one signature", '"removedSignatures":1' in out),
                ("5. the single sign moves the process on", '"mode":"single"' in out),
                ("6. the replay says so", "Idempotent-Replayed: true" in out),
                ("6. the audit log lists A's calls", '"records"' in out),
                ("7. A's events: signee.signed, signing.completed, process.completed",
                 all(t in out for t in ("no.signinggateway.signee.signed", "no.signinggateway.signing.completed",
                                        "no.signinggateway.process.completed"))),
                ("7. the feed says where to continue", "Next-Cursor: " in out),
                ("8. the receiver printed the pushed event, verified",
                 "verified no.signinggateway.signee.signed /party/51290001" in out),
                ("8. and refused nothing (no delivery of another subscription or a bad signature)",
                 "\nrefused" not in out),
            ]
            for name, ok in expectations:
                check(f"run {run_number}: {name}", ok, out[-1500:])
    finally:
        stop(gateway)
        log.close()
