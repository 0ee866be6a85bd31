"""The README walkthrough, run verbatim: the `sh` block under "## Walkthrough" against `signing-gateway serve` on
its embedded default (no configuration file: built-in simulator, dev client key), as `make run` starts it. Only the
gateway's address is rewritten (a free port instead of 8080); each step's answer is checked for what the comment
above it promises.
"""
import os
import re
import subprocess

from support import BINARY, ROOT, check, free_port, stop, wait_ready


def walkthrough_script():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    section = text.split("## Walkthrough", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def test_readme_walkthrough_runs_verbatim(tmp_path):
    port = free_port()
    log = open(tmp_path / "gateway.log", "wb")
    # As `make run`: `serve` with no configuration file, in a fresh directory (the data directory is ./.signing-gateway).
    gateway = subprocess.Popen([BINARY, "serve", "--port", str(port)], cwd=tmp_path, stdout=log, stderr=log)
    try:
        wait_ready(f"http://127.0.0.1:{port}/healthz", gateway)
        script = walkthrough_script()
        check("the walkthrough talks to the gateway at 127.0.0.1:8080", "GW=http://127.0.0.1:8080" in script)
        script = script.replace("GW=http://127.0.0.1:8080", f"GW=http://127.0.0.1:{port}")
        # Each curl's output on its own line, so the answers can be told apart.
        script = "set -euo pipefail\ncurl() { command curl \"$@\"; echo; }\n" + script
        run = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        check("the walkthrough runs without a failing command", run.returncode == 0, run.stderr[-800:])
        out = run.stdout
        expectations = [
            ("0. the preflight reports the app's signing task", '"Task_2"' in out and '"warnings"' in out),
            ("1. the parallel sign answers with the completed signing and its proof",
             '"complete":true' in out and '"proof":{"available":true' in out),
            ("2. the signature documents carry SHA-256 digests", re.search(r'"sha256":"[0-9a-f]{64}"', out) is not None),
            ("3. instance B answers missing-signatures", "/problems/missing-signatures" in out),
            ("3. instance A's process ends", '"ended":true' in out),
            ("3. the reject of B says Altinn removed one signature", '"removedSignatures":1' in out),
            ("4. the single sign moves the process on", '"mode":"single"' in out),
            ("5. the replay says so", "Idempotent-Replayed: true" in out),
            ("5. the audit log lists the calls", '"records"' in out),
            ("6. the feed holds the signed, completed and rejected events",
             all(t in out for t in ("no.signinggateway.signee.signed", "no.signinggateway.process.completed",
                                    "no.signinggateway.signing.rejected"))),
            ("6. the subscription is created with its secret, shown once", '"secret":"whsec_' in out),
        ]
        for name, ok in expectations:
            check(name, ok, out[-1500:])
    finally:
        stop(gateway)
        log.close()
