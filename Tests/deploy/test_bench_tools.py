"""The bench's tools stay usable as the code moves (they are run by hand and by `make bench`, not by the other tests).

- test_bench_scripts_parse: every bench/*.sh is valid bash (`bash -n`).
- test_skeleton_patch_applies: bench/skeleton.patch (the forwarding skeleton bench/skeleton.sh builds) applies to
  the tree as it is, adds only its own file and the two hooks, and the skeleton stays out of the sources otherwise.
"""
import glob
import os
import re
import shutil
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


def test_skeleton_patch_applies(tmp_path):
    # A copy of the tracked files as they are in the working tree, so the check never touches the checkout.
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        source = os.path.join(ROOT, name)
        if os.path.isfile(source):
            os.makedirs(os.path.dirname(os.path.join(tmp_path, name)), exist_ok=True)
            shutil.copy2(source, os.path.join(tmp_path, name))
    result = subprocess.run(["git", "apply", "--check", "--verbose", PATCH], cwd=tmp_path, capture_output=True,
                            text=True)
    check("git apply --check bench/skeleton.patch", result.returncode == 0, result.stderr)
    touched = sorted(set(re.findall(r"^\+\+\+ b/(\S+)", open(PATCH).read(), re.M)))
    check("the patch touches only the manifest, the application's two hooks and its own file",
          touched == ["Package.swift", "Sources/GatewayHTTP/GatewayApplication.swift",
                      "Sources/GatewayHTTP/Skeleton.swift"], f"{touched}")
    check("the skeleton is not in the sources", not os.path.exists(os.path.join(ROOT, "Sources", "GatewayHTTP",
                                                                                  "Skeleton.swift")))
