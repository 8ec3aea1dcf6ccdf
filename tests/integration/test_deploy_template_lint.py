"""deploy/template.yaml is valid CloudFormation: cfn-lint knows every resource's schema and
SAM's transform, and no AWS account is reachable from the tests. (How the template is wired
to the code is read in tests/unit/test_deploy_template.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "template.yaml"


def test_cfn_lint_finds_no_errors() -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    done = subprocess.run(
        [str(cfn_lint), "--format", "parseable", str(TEMPLATE)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    # Exit code bits: 2 errors, 4 warnings, 8 informational; any finding fails the build.
    assert done.returncode == 0, done.stdout + done.stderr
