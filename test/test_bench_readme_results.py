"""scripts/update_readme_results.py on a temporary README."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "update_readme_results.py"


@pytest.fixture(scope="module")
def updater():
    spec = importlib.util.spec_from_file_location("update_readme_results", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def results_dir(tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "bench.md").write_text("| network | median ms |\n|---|---|\n| student | 7.0 |\n")
    (folder / "trials.md").write_text("| scene | success |\n|---|---|\n| single | 9/10 |\n")
    return folder


def test_replaces_only_the_marked_section_and_is_idempotent(updater, results_dir, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# title\n\n<!-- results:start -->\nold numbers 1.0\n<!-- results:end -->\n\ntail\n")
    assert updater.main(["--readme", str(readme), "--results-dir", str(results_dir)]) == 0
    text = readme.read_text()
    assert "old numbers" not in text and "| student | 7.0 |" in text and "| single | 9/10 |" in text
    assert text.startswith("# title\n\n<!-- results:start -->\n") and text.endswith(
        "<!-- results:end -->\n\ntail\n"
    )
    assert updater.main(["--readme", str(readme), "--results-dir", str(results_dir)]) == 0
    assert readme.read_text() == text


@pytest.mark.parametrize(
    "body",
    [
        "no markers at all\n",
        "<!-- results:start -->\nonly the start\n",
        "<!-- results:end -->\n<!-- results:start -->\n",
    ],
)
def test_fails_clearly_without_usable_markers(updater, results_dir, tmp_path, capsys, body):
    readme = tmp_path / "README.md"
    readme.write_text(body)
    assert updater.main(["--readme", str(readme), "--results-dir", str(results_dir)]) == 1
    assert "results:" in capsys.readouterr().err
    assert readme.read_text() == body


def test_fails_clearly_when_a_results_file_is_missing(updater, results_dir, tmp_path, capsys):
    (results_dir / "trials.md").unlink()
    readme = tmp_path / "README.md"
    readme.write_text("<!-- results:start -->\n<!-- results:end -->\n")
    assert updater.main(["--readme", str(readme), "--results-dir", str(results_dir)]) == 1
    assert "trials.md does not exist" in capsys.readouterr().err
