"""Every whole configuration file the README shows is one `serve` would accept: `config check --without-files`
(the checks of shape, values and relations, without the key and secret files the example names) passes on it."""
import json
import os
import re

from support import ROOT, check, run_binary


def test_readme_configuration_files_pass_config_check(tmp_path):
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    blocks = [b for b in re.findall(r"```json\n(.*?)```", text, re.S) if b.lstrip().startswith("{") and '"upstream"' in b]
    check("the README shows at least the tt02 configuration", len(blocks) >= 1, len(blocks))
    for number, block in enumerate(blocks):
        config = json.loads(block)
        path = tmp_path / f"readme-{number}.json"
        path.write_text(block)
        result = run_binary("config", "check", "--without-files", "--config", str(path))
        check(f"README configuration {number} ({config['upstream'].get('environment')}) passes config check",
              result.returncode == 0, result.stderr[-600:])
