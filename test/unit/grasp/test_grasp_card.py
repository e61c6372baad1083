"""`kd-grasp grasp card` from the files the other verbs write: held-out accuracy with its 95% interval,
agreement with the teacher and the latency rows of `kd-grasp bench`'s bench.json."""

import json
import shutil

import pytest
from test_grasp_cli import _write_labelled_box

from kd_grasp_ros.cli import main
from kd_grasp_ros.common.resources import resolve_model

pytestmark = pytest.mark.slow


@pytest.mark.timeout(120)
def test_card_holds_eval_with_interval_agreement_and_bench_rows(tmp_path):
    data = tmp_path / "boxes"
    data.mkdir()
    for i, right in enumerate([True, True, False]):
        _write_labelled_box(data, f"pcd{i:04d}", 150 + 4 * i, 160 - 4 * i, 0.0 if right else 1.5708)
    model = tmp_path / "grasp_student_v1.pt"
    shutil.copyfile(resolve_model("grasp_student_v1.pt"), model)
    common = ["--data", str(data), "--split", "all", "--model", str(model)]
    assert main(["grasp", "eval", *common, "--out", str(tmp_path / "eval.json")]) == 0
    agree = ["grasp", "agreement", *common, "--teacher", str(model), "--views", "1"]
    assert main([*agree, "--out", str(tmp_path / "agree.json")]) == 0
    bench = {"rows": [{"network": "grasp_student_v1", "form": "torch", "latency": {"1": {}}}]}
    bench["rows"][0]["latency"]["1"] = {"median_ms": 9.0, "p90_ms": 10.0, "fps": 111.1}
    (tmp_path / "bench.json").write_text(json.dumps(bench))
    card_args = ["grasp", "card", "--checkpoint", str(model), "--eval", str(tmp_path / "eval.json")]
    card_args += ["--agreement", str(tmp_path / "agree.json"), "--bench", str(tmp_path / "bench.json")]
    assert main([*card_args, "--out", str(tmp_path / "card.json")]) == 0

    card = json.loads((tmp_path / "card.json").read_text())
    (row,) = card["held_out_eval"]
    assert (row["n"], row["correct"]) == (3, 2) and 0.2 < row["ci95"][0] < 2 / 3 < row["ci95"][1] < 1.0
    (agreement,) = card["agreement"]
    assert agreement["reference"]["top1_match"] == agreement["reference"]["top1_scored"] == 3  # itself
    assert card["bench"] == bench["rows"]
    text = (tmp_path / "card.md").read_text()
    assert "| 3 | 2 | 0.667 (" in text and "| plain crops (3) | 3/3 |" in text
    assert "- torch, 1 thread(s): median 9.0 ms, p90 10.0 ms, 111.1 FPS" in text
