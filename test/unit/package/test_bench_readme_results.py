"""scripts/update_readme_results.py: on a temporary results folder, and `--check` on the repository's own
generated texts (docs/results/*.md, the model cards). README.md holds none of them: it links to them."""

import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest
from ros_helpers import REPO_ROOT

REPO = REPO_ROOT
SCRIPT = REPO / "scripts" / "update_readme_results.py"
GENERATED = ("bench.md", "trials.md", "faults.md")
FAULT_REPORT = {
    "command": "pytest test/integration/test_executor_faults.py",
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


@pytest.fixture(scope="module")
def updater():
    spec = importlib.util.spec_from_file_location("update_readme_results", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def results_dir(tmp_path):
    """bench.md and trials.md without their JSON (kept as they are), and a fault report."""
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "bench.md").write_text("| network | median ms |\n|---|---|\n| student | 7.0 |\n")
    (folder / "trials.md").write_text("| scene | success |\n|---|---|\n| single | 9/10 |\n")
    (folder / "faults.json").write_text(json.dumps(FAULT_REPORT))
    return folder


def _args(results_dir, *extra):
    models = results_dir.parent / "no_models"
    models.mkdir(exist_ok=True)
    return ["--results-dir", str(results_dir), "--models-dir", str(models), *extra]


def test_writes_the_faults_table_from_its_report_and_is_idempotent(updater, results_dir, capsys):
    assert updater.main(_args(results_dir, "--check")) == 1  # faults.md not written yet
    assert "faults.md is stale" in capsys.readouterr().err
    assert updater.main(_args(results_dir)) == 0
    text = (results_dir / "faults.md").read_text()
    assert "| protective stop | 3 | 0 | 0 | 0 |" in text and "| stale grasp | 1 | 0 | - | - |" in text
    assert "`pytest test/integration/test_executor_faults.py`" in text  # the command that wrote it
    before = {name: (results_dir / name).read_text() for name in GENERATED}
    assert updater.main(_args(results_dir)) == 0
    assert "already up to date" in capsys.readouterr().out
    assert {name: (results_dir / name).read_text() for name in GENERATED} == before
    assert updater.main(_args(results_dir, "--check")) == 0


@pytest.mark.parametrize(
    "name, source, command",
    [
        ("bench.md", "bench.json", "kd-grasp bench"),
        ("trials.md", "trials", "kd-grasp trials --publish"),
        ("faults.md", "faults.json", "KD_GRASP_FAULT_REPORT="),
    ],
)
def test_fails_clearly_when_nothing_makes_a_results_file(updater, results_dir, capsys, name, source, command):
    (results_dir / name).unlink(missing_ok=True)
    if (results_dir / source).is_file():
        (results_dir / source).unlink()
    assert updater.main(_args(results_dir)) == 1
    err = capsys.readouterr().err
    assert f"{name} does not exist" in err and command in err


def test_the_repositorys_generated_texts_are_up_to_date(updater, capsys):
    code = updater.main(["--check"])
    assert code == 0, capsys.readouterr().err


def test_the_readme_links_the_results_and_holds_no_generated_table():
    readme = (REPO / "README.md").read_text()
    for marker in ("results:start", "results:end", "safety:start", "safety:end"):
        assert marker not in readme
    for name in GENERATED:
        assert f"(docs/results/{name})" in readme, f"README.md does not link docs/results/{name}"
        assert (REPO / "docs" / "results" / name).is_file()


@pytest.fixture
def repo_copy(tmp_path):
    """docs/results and the model cards (JSON + Markdown, no weights) copied to tmp_path."""
    shutil.copytree(REPO / "docs" / "results", tmp_path / "docs" / "results")
    (tmp_path / "models").mkdir()
    for card in (REPO / "models").glob("*.json"):
        shutil.copy(card, tmp_path / "models" / card.name)
        shutil.copy(card.with_suffix(".md"), tmp_path / "models" / card.with_suffix(".md").name)
    args = [
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


def _row(path: Path, start: str) -> str:
    return next(line for line in path.read_text().splitlines() if line.startswith(start))


@pytest.mark.parametrize("target", ["bench", "trials", "faults", "grasp_card", "depth_card", "card_json"])
def test_a_hand_edit_of_a_generated_text_fails_the_check(updater, repo_copy, capsys, target):
    root, args = repo_copy
    assert updater.main(args) == 0, capsys.readouterr().err
    results = root / "docs" / "results"
    if target == "bench":  # a figure typed into the benchmark table
        row = _row(results / "bench.md", "| grasp_student_v1 | student |")
        _edit(results / "bench.md", row, row.replace("| student | torch |", "| student | torch | 1", 1))
        stale = "bench.md"
    elif target == "trials":
        row = _row(results / "trials.md", "| single | opaque |")
        typed = re.sub(r"(\d+)/20", lambda m: f"{int(m.group(1)) + 1}/20", row, count=1)
        _edit(results / "trials.md", row, typed)
        stale = "trials.md"
    elif target == "faults":
        row = _row(results / "faults.md", "| protective stop |")
        _edit(results / "faults.md", row, row.replace("| 1 | 0 |", "| 1 | 1 |", 1))
        stale = "faults.md"
    elif target == "grasp_card":
        _edit(root / "models" / "grasp_student_v1.md", "## Notes\n", "## Notes\n\n- 4,424 samples\n")
        stale = "grasp_student_v1.md"
    elif target == "depth_card":
        _edit(root / "models" / "depth_student.md", "## Training", "## Training (>= 30 FPS)")
        stale = "depth_student.md"
    else:  # the JSON changed (a new eval) but the card was not regenerated
        card_path = root / "models" / "grasp_student_v2.json"
        card = json.loads(card_path.read_text())
        card["held_out_eval"][0]["correct"] += 1
        card_path.write_text(json.dumps(card, indent=1))
        stale = "grasp_student_v2.md"
    assert updater.main(args) == 1
    err = capsys.readouterr().err
    assert f"{stale} is stale" in err and err.count("is stale") == 1
