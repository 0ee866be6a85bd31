"""The command line as a newcomer meets it: `--version`, and `keys generate` never replacing a key."""
import os

from support import check, run_binary


def test_version_and_keys_generate_refuses_to_replace(tmp_path):
    version = run_binary("--version")
    check("--version prints the version and exits 0",
          version.returncode == 0 and version.stdout.strip().count(".") == 2, version.stdout + version.stderr)

    out = str(tmp_path / "keys")
    first = run_binary("keys", "generate", "--kid", "erp-2026-01", "--out", out)
    check("keys generate makes a key", first.returncode == 0, first.stderr)
    pem = os.path.join(out, "erp-2026-01.private.pem")
    before = open(pem, "rb").read() if os.path.exists(pem) else b""
    again = run_binary("keys", "generate", "--kid", "erp-2026-01", "--out", out)
    check("a second key with the same kid is refused", again.returncode != 0, again.stdout + again.stderr)
    check("…saying why and what to do", "already exists" in again.stderr and "--kid" in again.stderr, again.stderr)
    check("…and the first key is kept", before and open(pem, "rb").read() == before)
