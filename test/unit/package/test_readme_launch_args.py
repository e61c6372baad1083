"""The launch-argument section of docs/launch.md is what `ros2 launch FILE --show-args` prints for every
launch file (scripts/update_readme_launch_args.py generates it; README.md links to it)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from launch_system import LaunchSystemMissing, check_launch_system
from ros_helpers import REPO_ROOT

pytestmark = pytest.mark.slow

SCRIPT = REPO_ROOT / "scripts" / "update_readme_launch_args.py"
LAUNCH_DOC = REPO_ROOT / "docs" / "launch.md"


@pytest.fixture(scope="module")
def script():
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import update_readme_launch_args as module
    finally:
        sys.path.remove(str(SCRIPT.parent))
    return module


@pytest.fixture(scope="module")
def ros2_launch():
    try:
        check_launch_system()
    except LaunchSystemMissing as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def generated(script, ros2_launch):
    """The section as the launch files print it now (runs `ros2 launch --show-args` once per file)."""
    return script.generated_section()


@pytest.mark.timeout(180)
def test_the_launch_page_is_generated_from_the_launch_files(ros2_launch):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=170
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_hand_edit_of_the_section_fails_the_check(script, generated, monkeypatch, tmp_path, capsys):
    page = tmp_path / "launch.md"
    shutil.copy(LAUNCH_DOC, page)
    monkeypatch.setattr(script, "generated_section", lambda: generated)
    assert script.main(["--check", "--doc", str(page)]) == 0
    text = page.read_text()
    edited = text.replace("(default: 'ur10e')", "(default: 'ur5e')", 1)
    assert edited != text
    page.write_text(edited)
    assert script.main(["--check", "--doc", str(page)]) == 1
    assert f"{page} is stale" in capsys.readouterr().err
    assert page.read_text() == edited  # --check writes nothing
    assert script.main(["--doc", str(page)]) == 0
    assert page.read_text() == text


def test_the_readme_holds_no_launch_arguments_and_links_the_page():
    readme = (REPO_ROOT / "README.md").read_text()
    assert "launch-arguments:" not in readme
    assert "(docs/launch.md)" in readme


def test_generated_section_replaces_only_the_marked_part(script):
    text = f"intro\n{script.BEGIN}\nold\n{script.END}\nrest\n"
    assert script.updated_doc(text, "NEW") == "intro\nNEW\nrest\n"
    for broken in (
        "no markers",
        f"{script.END}\n{script.BEGIN}\n",
        f"{script.BEGIN}\n{script.BEGIN}\n{script.END}",
    ):
        with pytest.raises(script.LaunchDocError):
            script.updated_doc(broken, "NEW")
