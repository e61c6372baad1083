"""`kd-grasp depth train` end to end on a small simulated dataset: a run from scratch, then a fine-tuning
run (`--init`) whose checkpoint and card name the exact weights it started from."""

import json

import pytest

from kd_grasp_ros.cli import main
from kd_grasp_ros.depth.checkpoint import file_sha256, read_checkpoint

SCENES = "10"  # split by name: 8 train, 1 val, 1 test
SMALL = ["--input-size", "64", "48", "--crop", "32", "32", "--batch-size", "2", "--threads", "1"]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("depth-synth")
    argv = ["sim", "synth", "--scenes", SCENES, "--out-dir", str(out), "--seed", "3"]
    argv += ["--transparent-ratio", "1.0", "--width", "160", "--height", "120"]
    assert main(argv) == 0
    return out / "cleargrasp"


@pytest.mark.timeout(240)
def test_train_then_fine_tune_records_the_starting_weights(dataset, tmp_path):
    scratch = tmp_path / "scratch"
    argv = ["depth", "train", "--model", "student", "--data", str(dataset), "--out-dir", str(scratch)]
    assert main([*argv, "--epochs", "1", "--seed", "0", *SMALL]) == 0
    first = read_checkpoint(scratch / "best.pt")
    assert first["name"] == "student" and first["n_train"] == 8 and first["n_val"] == 1
    assert first["init"] is None and first["init_sha256"] is None
    assert first["metrics"]["rmse"] > 0  # validation RMSE on transparent pixels, metres

    tuned = tmp_path / "tuned"
    argv = ["depth", "train", "--model", "student", "--data", str(dataset), "--out-dir", str(tuned)]
    argv += ["--init", str(scratch / "best.pt"), "--epochs", "1", "--seed", "1", "--lr", "1e-4", *SMALL]
    assert main(argv) == 0
    second = read_checkpoint(tuned / "best.pt")
    assert second["init"] == str(scratch / "best.pt")
    assert second["init_sha256"] == file_sha256(scratch / "best.pt")
    # fine-tuning starts from those weights: with a small learning rate they move, but only a little
    # (BatchNorm's running statistics and step counters are not weights)
    weights = [
        k for k in first["model"] if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))
    ]
    moved = [(second["model"][k] - first["model"][k]).abs().max().item() for k in weights]
    assert 0 < max(moved) < 0.1

    card_path = tmp_path / "card.json"
    assert main(["depth", "card", "--checkpoint", str(tuned / "best.pt"), "--out", str(card_path)]) == 0
    card = json.loads(card_path.read_text())
    assert card["training"]["init_sha256"] == second["init_sha256"]
    assert f"sha256 {second['init_sha256'][:16]}" in card_path.with_suffix(".md").read_text()
