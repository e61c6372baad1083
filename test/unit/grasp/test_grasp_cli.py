"""`kd-grasp grasp` verbs end to end: train + resume on a tiny Cornell-layout set, eval on constructed
rectangles (a known number of hits) and on shared data (the card's peer row)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tifffile
import torch
from ros_helpers import REPO_ROOT

from kd_grasp_ros.cli import main
from kd_grasp_ros.grasp.card import lr_schedule
from kd_grasp_ros.grasp.checkpoint import save_checkpoint
from kd_grasp_ros.grasp.models import GGCNN, GGCNNConfig, build_model
from kd_grasp_ros.grasp.rectangles import GraspRectangle

pytestmark = pytest.mark.slow

REPO = REPO_ROOT
RELEASED = "weights/ggcnn-cornell-official/ggcnn_epoch_23_cornell_statedict.pt"


def _write_scene(root, name: str, row: int, col: int) -> None:
    depth = np.full((320, 320), 0.7, np.float32)
    depth[row - 10 : row + 10, col - 30 : col + 30] = 0.66
    tifffile.imwrite(root / f"{name}d.tiff", depth)
    rect = GraspRectangle.from_grasp((row, col), np.pi / 2, 40.0, 15.0)
    (root / f"{name}cpos.txt").write_text("".join(f"{c:.2f} {r:.2f}\n" for r, c in rect.points))


def _write_four_scenes(root: Path) -> Path:
    root.mkdir()
    for i in range(4):
        _write_scene(root, f"pcd{i:04d}", 150 + 5 * i, 160 - 5 * i)
    return root


@pytest.mark.timeout(180)
def test_train_resume_and_export(tmp_path):
    data = _write_four_scenes(tmp_path / "synth")
    out = tmp_path / "run"
    args = [
        "grasp",
        "train",
        "--model",
        "student_v1",
        "--data",
        str(data),
        "--epochs",
        "1",
        "--batch-size",
        "2",
        "--out-dir",
        str(out),
        "--seed",
        "1",
        "--test-fraction",
        "0.25",
        "--val-fraction",
        "0.34",
    ]
    assert main(args) == 0
    first = torch.load(out / "last.pt", map_location="cpu", weights_only=True)
    assert first["epoch"] == 0 and first["training"]["extra"]["val_scenes"] == ["pcd0002"]
    for h in first["history"]:  # a run saved before history kept "lr": the optimiser's rate fills it in
        del h["lr"]
    torch.save(first, out / "last.pt")
    resumed = args[:7] + ["2"] + args[8:] + ["--resume", str(out / "last.pt"), "--lr", "2e-4"]
    assert main(resumed) == 0
    ckpt = torch.load(out / "best.pt", map_location="cpu", weights_only=True)
    GGCNN(GGCNNConfig(**ckpt["model_cfg"])).load_state_dict(ckpt["model"])
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history] == [0, 1] and all(np.isfinite(h["loss"]) for h in history)
    # the resuming command's --lr is a step in the schedule: the optimiser runs at it from then on
    assert [h["lr"] for h in history] == [1e-3, 2e-4]
    last = torch.load(out / "last.pt", map_location="cpu", weights_only=True)
    assert all(g["lr"] == 2e-4 for g in last["optimizer"]["param_groups"])
    assert len(last["training"]["extra"]["commands"]) == 2
    assert lr_schedule(history) == "0.001 (epochs 0-0), 0.0002 (epochs 1-1)"
    # resuming without --lr keeps the run's own rate (not the default of a new run)
    assert main(args[:7] + ["3"] + args[8:] + ["--resume", str(out / "last.pt")]) == 0
    history = json.loads((out / "history.json").read_text())
    assert [h["lr"] for h in history] == [1e-3, 2e-4, 2e-4]


def _write_labelled_box(root, name: str, row: int, col: int, label_angle: float) -> None:
    """A 24 x 60 px box (long side along the rows) labelled with rectangles along its length at
    label_angle: 0 = jaws across the short side (right), pi/2 = along the long side (a label no
    top-1 grasp across the box can match: angle difference 90 degrees)."""
    depth = np.full((320, 320), 0.7, np.float32)
    depth[row - 30 : row + 30, col - 12 : col + 12] = 0.66
    tifffile.imwrite(root / f"{name}d.tiff", depth)
    rects = [GraspRectangle.from_grasp((row + dr, col), label_angle, 45.0, 15.0) for dr in range(-27, 28, 9)]
    (root / f"{name}cpos.txt").write_text(
        "".join(f"{c:.2f} {r:.2f}\n" for rect in rects for r, c in rect.points)
    )


@pytest.mark.timeout(120)
@pytest.mark.parametrize("model", ["grasp_student_v1.pt", "grasp_student_v2.pt"])
def test_eval_counts_the_known_hits_on_constructed_rectangles(tmp_path, model):
    data = tmp_path / "boxes"
    data.mkdir()
    expected = [True, True, True, True, False, False]
    for i, right in enumerate(expected):
        _write_labelled_box(data, f"pcd{i:04d}", 150 + 4 * i, 160 - 4 * i, 0.0 if right else np.pi / 2)
    out = tmp_path / "eval.json"
    assert (
        main(["grasp", "eval", "--data", str(data), "--model", model, "--split", "all", "--out", str(out)])
        == 0
    )
    report = json.loads(out.read_text())
    assert [p["success"] for p in report["per_image"]] == expected
    assert (report["n"], report["correct"]) == (6, 4) and report["accuracy"] == pytest.approx(4 / 6)
    assert all((tmp_path / "eval" / f"{p['scene']}.png").is_file() for p in report["per_image"])


@pytest.mark.timeout(120)
def test_eval_of_the_released_peer_reproduces_its_card_row(shared_dir, tmp_path):
    """The released GG-CNN on Cornell-01's object-wise fold 0 scores what grasp_student_v1's card says."""
    out = tmp_path / "eval.json"
    args = [
        "grasp",
        "eval",
        "--data",
        str(shared_dir / "data/cornell-01"),
        "--model",
        str(shared_dir / RELEASED),
    ]
    assert main([*args, "--split-method", "objectwise", "--fold", "0", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["n"] == 22 and (report["split_method"], report["split"]) == ("objectwise", "test")
    card = json.loads((REPO / "models" / "grasp_student_v1.json").read_text())
    (row,) = [
        r
        for r in card["peer_eval"]
        if Path(r["dataset"][0]).name == "cornell-01" and Path(r["model"]).name == Path(RELEASED).name
    ]
    assert (report["n"], report["correct"]) == (row["n"], row["correct"])


@pytest.mark.timeout(180)
def test_distill_passes_the_peak_weight_to_training(tmp_path):
    data = _write_four_scenes(tmp_path / "synth")
    teacher = tmp_path / "teacher.pt"
    save_checkpoint(teacher, build_model("student_v1"))
    out = tmp_path / "run"
    argv = ["grasp", "distill", "--model", "student_v1", "--teacher", str(teacher), "--data", str(data)]
    argv += ["--alpha", "0.9", "--kd-peak-weight", "0.5", "--augment", "strong", "--epochs", "1"]
    argv += ["--batch-size", "2", "--test-fraction", "0.25", "--val-fraction", "0.34", "--out-dir", str(out)]
    assert main(argv) == 0
    ckpt = torch.load(out / "last.pt", map_location="cpu", weights_only=True)
    assert ckpt["training"]["kd_peak_weight"] == 0.5 and ckpt["metrics"]["kd_peak"] > 0
