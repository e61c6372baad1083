"""ruff lints and format-checks the package, the tests, launch files and scripts in the suite."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ros_helpers import REPO_ROOT

CANDIDATES = ("kd_grasp_ros", "test", "launch", "scripts", "setup.py")


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["check", "format"])
def test_ruff_finds_nothing(command):
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is not installed (scripts/setup.sh installs it)"
    targets = [p for p in CANDIDATES if (REPO_ROOT / p).exists()]
    result = subprocess.run([ruff, *command, *targets], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
