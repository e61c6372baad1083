"""`kd-grasp depth eval | bench | card` end to end on the shared ClearGrasp sample, small networks."""

from __future__ import annotations

import json

import pytest
import torch

from kd_grasp_ros.cli import main
from kd_grasp_ros.depth.registry import build_model, save_checkpoint


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
def test_eval_bench_and_card(shared_dir, checkpoints, tmp_path):
    data = shared_dir / "data" / "cleargrasp-sample"
    if not data.is_dir():
        pytest.skip(f"ClearGrasp sample not found at {data}")
    common = ["--teacher", str(checkpoints["teacher"]), "--student", str(checkpoints["student"])]
    common += ["--input-size", "160", "96"]
    report_path = tmp_path / "eval.json"
    argv = ["depth", "eval", "--data", str(data), "--split", "test", "--out-json", str(report_path)]
    argv += ["--png-dir", str(tmp_path), "--png-count", "1", "--png-prefix", "t", *common]
    assert main(argv) == 0
    report = json.loads(report_path.read_text())
    assert set(report["methods"]) == {"raw", "inpaint", "teacher", "student"}
    for method in report["methods"].values():
        for key in ("model", "dataset", "n", "rmse", "rel", "mae", "delta_1.05", "delta_1.10", "delta_1.25"):
            assert key in method
        assert method["n"] == 1 and 0 <= method["delta_1.25"] <= 100
        assert "rmse" in method["full_resolution"]
    assert report["methods"]["raw"]["coverage"] < 100.0 == report["methods"]["inpaint"]["coverage"]
    assert (tmp_path / "t_00.png").stat().st_size > 1000

    bench_path = tmp_path / "bench.json"
    argv = ["depth", "bench", "--warmup", "1", "--runs", "2", "--out-json", str(bench_path), *common]
    assert main(argv) == 0
    bench = json.loads(bench_path.read_text())
    assert set(bench) == {"teacher", "student"} and set(bench["student"]["threads"]) == {"1", "2"}
    assert bench["student"]["threads"]["1"]["fps"] > 0

    card_path = tmp_path / "depth_student.json"
    argv = ["depth", "card", "--checkpoint", str(checkpoints["student"]), "--eval", str(report_path)]
    argv += ["--bench", str(bench_path), "--out", str(card_path)]
    assert main(argv) == 0
    card = json.loads(card_path.read_text())
    assert card["architecture"] == "student" and card["benchmark"]["params"] == card["parameters"]
    assert "Consistent Feature Correlation" in card_path.with_suffix(".md").read_text()


def test_distill_without_teacher_fails_early(tmp_path, capsys):
    argv = ["depth", "distill", "--data", str(tmp_path), "--teacher", str(tmp_path / "none.pt")]
    argv += ["--out", str(tmp_path / "s.pt")]
    assert main(argv) == 2
    assert "none.pt" in capsys.readouterr().err
