"""ruff lints the whole package, the tests, launch files and scripts as part of the suite."""
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is not installed (scripts/setup.sh installs it)"
    candidates = ("kd_grasp_ros", "test", "launch", "scripts", "setup.py")
    targets = [p for p in candidates if (REPO_ROOT / p).exists()]
    result = subprocess.run([ruff, "check", *targets], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
