"""The bench's tools stay usable as the code moves (they are run by hand and by `make bench`, not by the other tests).

- test_bench_scripts_parse: every bench/*.sh is valid bash (`bash -n`).
- test_skeleton_patch_applies: bench/skeleton.patch (the forwarding skeleton bench/skeleton.sh builds) applies to
  the tree as it is (so its new file is not in the sources yet) and touches only the manifest, its own file and the
  application's two hooks.
"""
import glob
import os
import re
import subprocess

from support.checks import check
from support.processes import ROOT

PATCH = os.path.join(ROOT, "bench", "skeleton.patch")


def test_bench_scripts_parse():
    scripts = sorted(glob.glob(os.path.join(ROOT, "bench", "*.sh")))
    check("bench scripts found", len(scripts) >= 7, f"{scripts}")
    for script in scripts:
        result = subprocess.run(["bash", "-n", script], capture_output=True, text=True)
        check(f"bash -n {os.path.basename(script)}", result.returncode == 0, result.stderr)


def test_skeleton_patch_applies():
    # `--check` only reads the tree: nothing in the checkout changes.
    result = subprocess.run(["git", "apply", "--check", "--verbose", PATCH], cwd=ROOT, capture_output=True, text=True)
    check("git apply --check bench/skeleton.patch", result.returncode == 0, result.stderr)
    touched = sorted(set(re.findall(r"^\+\+\+ b/(\S+)", open(PATCH).read(), re.M)))
    check("the patch touches only the manifest, the application's two hooks and its own file",
          touched == ["Package.swift", "Sources/GatewayHTTP/GatewayApplication.swift",
                      "Sources/GatewayHTTP/Skeleton.swift"], f"{touched}")
