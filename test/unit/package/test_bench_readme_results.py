"""scripts/update_readme_results.py: on a temporary README, and `--check` on the repository's own generated
texts (README results section, docs/results/*.md, model cards)."""

import importlib.util
import shutil
from pathlib import Path

import pytest
from ros_helpers import REPO_ROOT

REPO = REPO_ROOT
SCRIPT = REPO / "scripts" / "update_readme_results.py"


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


def _args(readme, results_dir, *extra):
    models = results_dir.parent / "no_models"
    models.mkdir(exist_ok=True)
    return ["--readme", str(readme), "--results-dir", str(results_dir), "--models-dir", str(models), *extra]


def test_replaces_only_the_marked_section_and_is_idempotent(updater, results_dir, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# title\n\n<!-- results:start -->\nold numbers 1.0\n<!-- results:end -->\n\ntail\n")
    assert updater.main(_args(readme, results_dir)) == 0
    text = readme.read_text()
    assert "old numbers" not in text and "| student | 7.0 |" in text and "| single | 9/10 |" in text
    assert text.startswith("# title\n\n<!-- results:start -->\n") and text.endswith(
        "<!-- results:end -->\n\ntail\n"
    )
    assert updater.main(_args(readme, results_dir)) == 0
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
    assert updater.main(_args(readme, results_dir)) == 1
    assert "results:" in capsys.readouterr().err
    assert readme.read_text() == body


def test_fails_clearly_when_a_results_file_is_missing(updater, results_dir, tmp_path, capsys):
    (results_dir / "trials.md").unlink()
    readme = tmp_path / "README.md"
    readme.write_text("<!-- results:start -->\n<!-- results:end -->\n")
    assert updater.main(_args(readme, results_dir)) == 1
    assert "trials.md does not exist" in capsys.readouterr().err


def test_the_repositorys_generated_texts_are_up_to_date(updater, capsys):
    code = updater.main(["--check"])
    assert code == 0, capsys.readouterr().err


@pytest.fixture
def repo_copy(tmp_path):
    """README, docs/results and the model cards (JSON + Markdown, no weights) copied to tmp_path."""
    shutil.copy(REPO / "README.md", tmp_path / "README.md")
    shutil.copytree(REPO / "docs" / "results", tmp_path / "docs" / "results")
    (tmp_path / "models").mkdir()
    for card in (REPO / "models").glob("*.json"):
        shutil.copy(card, tmp_path / "models" / card.name)
        shutil.copy(card.with_suffix(".md"), tmp_path / "models" / card.with_suffix(".md").name)
    args = [
        "--readme",
        str(tmp_path / "README.md"),
        "--results-dir",
        str(tmp_path / "docs" / "results"),
        "--models-dir",
        str(tmp_path / "models"),
        "--check",
    ]
    return tmp_path, args


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("target", ["readme", "bench", "grasp_card", "depth_card", "card_json"])
def test_a_hand_edit_of_a_generated_text_fails_the_check(updater, repo_copy, capsys, target):
    root, args = repo_copy
    assert updater.main(args) == 0, capsys.readouterr().err
    readme_results = root / "README.md"
    if target == "readme":  # a figure typed into the generated README section
        text = readme_results.read_text()
        row = next(line for line in text.splitlines() if line.startswith("| grasp_student_v1 | student |"))
        _edit(readme_results, row, row.replace("| student | torch |", "| student | torch | 1", 1))
        stale = "README.md"
    elif target == "bench":
        _edit(root / "docs" / "results" / "bench.md", "Machine: ", "Machine (idle): ")
        stale = "bench.md"
    elif target == "grasp_card":
        _edit(root / "models" / "grasp_student_v1.md", "## Notes\n", "## Notes\n\n- 4,424 samples\n")
        stale = "grasp_student_v1.md"
    elif target == "depth_card":
        _edit(root / "models" / "depth_student.md", "## Training", "## Training (>= 30 FPS)")
        stale = "depth_student.md"
    else:  # the JSON changed (a new eval) but the card was not regenerated
        _edit(root / "models" / "grasp_student_v2.json", '"correct": 46', '"correct": 47')
        stale = "grasp_student_v2.md"
    assert updater.main(args) == 1
    err = capsys.readouterr().err
    assert f"{stale} is stale" in err and err.count("is stale") == 1


def test_the_safety_table_is_generated_from_the_fault_report(updater, results_dir, tmp_path, capsys):
    import json

    readme = tmp_path / "README.md"
    readme.write_text(
        "<!-- results:start -->\n<!-- results:end -->\n## Safety\n<!-- safety:start -->\n"
        "<!-- safety:end -->\n"
    )
    assert updater.main(_args(readme, results_dir)) == 1  # markers but no fault report
    assert "faults.json does not exist" in capsys.readouterr().err
    report = {
        "command": "pytest test/test_executor_faults.py",
        "rows": [
            {
                "fault": "protective stop",
                "injected": 3,
                "motions_after": 0,
                "median_stop_request_ms": 0.4,
                "median_at_rest_ms": 0.4,
            },
            {
                "fault": "stale grasp",
                "injected": 1,
                "motions_after": 0,
                "median_stop_request_ms": None,
                "median_at_rest_ms": None,
            },
        ],
    }
    (results_dir / "faults.json").write_text(json.dumps(report))
    assert updater.main(_args(readme, results_dir)) == 0
    text = readme.read_text()
    assert "| protective stop | 3 | 0 | 0 | 0 |" in text and "| stale grasp | 1 | 0 | - | - |" in text
    readme.write_text(text.replace("| protective stop | 3 | 0 |", "| protective stop | 3 | 1 |"))
    assert updater.main(_args(readme, results_dir, "--check")) == 1
