"""`kd-grasp depth eval | card` (with `kd-grasp bench`'s bench.json) end to end on the shared ClearGrasp
sample, small networks."""

from __future__ import annotations

import json

import pytest
import torch

from kd_grasp_ros.cli import main
from kd_grasp_ros.depth.checkpoint import save_checkpoint
from kd_grasp_ros.depth.models import build_model


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ckpt")
    torch.manual_seed(0)
    paths = {}
    for name in ("teacher", "student"):
        paths[name] = folder / f"{name}.pt"
        save_checkpoint(paths[name], name, build_model(name, {"widths": (8, 8, 16, 16)}), epoch=0, metrics={})
    return paths


@pytest.mark.timeout(90)
def test_eval_and_card_with_the_bench(shared_dir, checkpoints, tmp_path):
    data = shared_dir / "data" / "cleargrasp-sample"
    if not data.is_dir():
        pytest.skip(f"ClearGrasp sample not found at {data}")
    common = ["--teacher", str(checkpoints["teacher"]), "--student", str(checkpoints["student"])]
    common += ["--input-size", "160", "96"]
    report_path = tmp_path / "eval.json"
    argv = ["depth", "eval", "--data", str(data), "--split", "test", "--out", str(report_path)]
    argv += ["--png-count", "1", *common, "--also", f"student_again={checkpoints['student']}"]
    assert main(argv) == 0
    report = json.loads(report_path.read_text())
    assert set(report["methods"]) == {"raw", "inpaint", "fill", "teacher", "student", "student_again"}
    # the same checkpoint under two names scores the same
    assert report["methods"]["student_again"]["rmse"] == report["methods"]["student"]["rmse"]
    for method in report["methods"].values():
        for key in ("model", "dataset", "n", "rmse", "rel", "mae", "delta_1.05", "delta_1.10", "delta_1.25"):
            assert key in method
        assert method["n"] == 1 and 0 <= method["delta_1.25"] <= 100
        assert "rmse" in method["full_resolution"]
    assert report["methods"]["raw"]["coverage"] < 100.0 == report["methods"]["inpaint"]["coverage"]
    assert report["methods"]["fill"]["coverage"] == 100.0
    # per frame: each method's headline numbers, and on how many frames it is no worse than inpainting
    (frame,) = report["per_image"]
    assert frame["student"]["rmse"] == pytest.approx(report["methods"]["student"]["rmse"])
    assert frame["inpaint"]["delta_1.25"] == pytest.approx(report["methods"]["inpaint"]["delta_1.25"])
    never_worse = report["never_worse_than_inpaint"]
    assert set(never_worse) == {"fill", "teacher", "student", "student_again"}
    expected = frame["fill"]["rmse"] <= frame["inpaint"]["rmse"]
    expected &= frame["fill"]["delta_1.25"] >= frame["inpaint"]["delta_1.25"]
    assert never_worse["fill"] == f"{int(expected)}/1"
    assert (tmp_path / "eval" / "eval_00.png").stat().st_size > 1000

    argv = ["bench", "--grasp-models", "--depth-models", str(checkpoints["student"]), "--threads", "1"]
    argv += ["--repeats", "2", "--warmup", "1", "--no-onnx", "--no-pipeline", "--no-nodes"]
    assert main([*argv, "--out-dir", str(tmp_path)]) == 0
    bench_path = tmp_path / "bench.json"

    card_path = tmp_path / "depth_student.json"
    argv = ["depth", "card", "--checkpoint", str(checkpoints["student"]), "--eval", str(report_path)]
    argv += ["--bench", str(bench_path), "--out", str(card_path)]
    assert main(argv) == 0
    card = json.loads(card_path.read_text())
    assert card["architecture"] == "student" and [row["form"] for row in card["bench"]] == ["torch"]
    assert card["bench"][0]["parameters"] == card["parameters"]
    assert "Consistent Feature Correlation" in card_path.with_suffix(".md").read_text()


def test_also_needs_name_and_path(tmp_path, capsys):
    argv = ["depth", "eval", "--data", str(tmp_path), "--out", str(tmp_path / "e.json"), "--also", "nopath"]
    assert main(argv) == 1
    assert "--also takes NAME=PATH" in capsys.readouterr().err


def test_distill_without_teacher_fails_early(tmp_path, capsys):
    argv = ["depth", "distill", "--data", str(tmp_path), "--teacher", str(tmp_path / "none.pt")]
    argv += ["--out-dir", str(tmp_path / "run")]
    assert main(argv) == 1
    assert "none.pt" in capsys.readouterr().err


def test_init_must_hold_the_network_being_trained(checkpoints, tmp_path, capsys):
    """Checked before any data is read (the data folder here does not exist)."""
    missing = str(tmp_path / "no-data")
    argv = ["depth", "train", "--model", "student", "--data", missing, "--init", str(checkpoints["teacher"])]
    argv += ["--out-dir", str(tmp_path / "run"), "--epochs", "1"]
    assert main(argv) == 1
    assert "holds a teacher, not a student" in capsys.readouterr().err
