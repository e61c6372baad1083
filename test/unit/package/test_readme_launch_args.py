"""The README's launch-argument section is what `ros2 launch FILE --show-args` prints for every launch
file (scripts/update_readme_launch_args.py generates it)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from launch_system import LaunchSystemMissing, check_launch_system
from ros_helpers import REPO_ROOT

pytestmark = pytest.mark.slow

SCRIPT = REPO_ROOT / "scripts" / "update_readme_launch_args.py"


@pytest.fixture(scope="module")
def ros2_launch():
    try:
        check_launch_system()
    except LaunchSystemMissing as exc:
        pytest.skip(str(exc))


@pytest.mark.timeout(180)
def test_readme_launch_arguments_are_generated_from_the_launch_files(ros2_launch):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=170
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_section_replaces_only_the_marked_part():
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import update_readme_launch_args as script
    finally:
        sys.path.remove(str(SCRIPT.parent))
    text = f"intro\n{script.BEGIN}\nold\n{script.END}\nrest\n"
    assert script.updated_readme(text, "NEW") == "intro\nNEW\nrest\n"
    with pytest.raises(script.ReadmeSectionError):
        script.updated_readme("no markers", "NEW")
