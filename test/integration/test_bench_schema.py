"""`kd-grasp bench` in a tiny mode (few runs, one thread) on untrained registry checkpoints: JSON schema
and markdown table."""

import json
from pathlib import Path

import pytest

from kd_grasp_ros.cli import main
from kd_grasp_ros.grasp.constants import DEPLOYED_CROP_SIZE


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    from kd_grasp_ros.depth.checkpoint import save_checkpoint as save_depth
    from kd_grasp_ros.depth.models import build_model as build_depth
    from kd_grasp_ros.grasp.checkpoint import save_checkpoint as save_grasp
    from kd_grasp_ros.grasp.models import build_model as build_grasp

    folder = tmp_path_factory.mktemp("models")
    save_grasp(
        folder / "grasp_student_v1.pt", build_grasp("student_v1"), epoch=0, metrics={"val_accuracy": 0.5}
    )
    save_depth(folder / "depth_student.pt", "student", build_depth("student"), 0, {})
    (folder / "depth_student.json").write_text(json.dumps({"metrics": {"rmse_m": 0.03, "delta_1.05": 61.0}}))
    return folder


@pytest.mark.timeout(240)
def test_tiny_bench_writes_the_documented_json_and_table(tiny_models, tmp_path):
    grasp, depth = tiny_models / "grasp_student_v1.pt", tiny_models / "depth_student.pt"
    code = main(
        [
            "bench",
            "--grasp-models",
            str(grasp),
            "--depth-models",
            str(depth),
            "--threads",
            "1",
            "--repeats",
            "2",
            "--warmup",
            "1",
            "--calibration-frames",
            "2",
            "--pipeline-grasp",
            str(grasp),
            "--pipeline-depth",
            str(depth),
            "--pipeline-threads",
            "1",
            "--no-nodes",
            "--out-dir",
            str(tmp_path),
        ]
    )
    assert code == 0
    result = json.loads((tmp_path / "bench.json").read_text())
    assert {
        "schema_version",
        "machine",
        "threads",
        "repeats",
        "warmup",
        "rows",
        "pipeline",
        "targets",
    } <= set(result)
    assert {"cpu", "torch", "onnxruntime", "logical_cores"} <= set(result["machine"])
    command = result["command"]
    assert command.startswith("kd-grasp bench --grasp-models ") and "--repeats 2" in command
    forms = {(r["network"], r["form"]) for r in result["rows"]}
    assert ("grasp_student_v1", "torch") in forms and ("grasp_student_v1", "torch fast ConvT") in forms
    assert ("depth_student", "torch") in forms
    assert any(f.startswith("onnxruntime int8 static") for n, f in forms if n == "grasp_student_v1")
    for row in result["rows"]:
        assert {"network", "family", "role", "form", "parameters", "accuracy"} <= set(row)
        assert "error" not in row, f"{row['network']} {row['form']} failed: {row.get('error')}"
        lat = row["latency"]["1"]
        assert 0 < lat["median_ms"] <= lat["p90_ms"] and lat["fps"] > 0
        assert row["size_mb"] > 0 and row["max_abs_diff"] >= 0
    fast = next(r for r in result["rows"] if r["form"] == "torch fast ConvT")
    assert fast["max_abs_diff"] < 1e-4  # the rewrite is exact up to float rounding
    depth_row = next(r for r in result["rows"] if r["network"] == "depth_student")
    assert depth_row["accuracy"]["source"] == "model card depth_student.json"
    assert "rmse_m 0.03" in depth_row["accuracy"]["text"]
    grasp_row = next(r for r in result["rows"] if r["network"] == "grasp_student_v1")
    assert grasp_row["accuracy"]["source"].startswith("checkpoint metrics")
    (pipe,) = result["pipeline"]
    assert pipe["resolution"] == [640, 480] and pipe["latency"]["median_ms"] > 0
    assert pipe["grasp_crop_px"] == DEPLOYED_CROP_SIZE  # what the node and the demo run
    assert set(pipe["stages_median_ms"]) == {"depth_completion", "grasp_detection"}
    assert [t["what"] for t in result["targets"]] == [
        "grasp student as the nodes run it, 1 thread",
        "depth completion of a 640x480 frame as the node runs it, 1 thread",
    ]
    assert "onnxruntime fp32" in result["targets"][0]["measured"]  # the form the nodes run
    depth_ms = pipe["stages_median_ms"]["depth_completion"]
    assert result["targets"][1]["measured"].startswith(f"{depth_ms:.1f} ms")
    assert result["targets"][1]["met"] == (depth_ms <= 1000.0 / 30.0)
    md = (tmp_path / "bench.md").read_text()
    assert (
        md.startswith(f"Produced by `{result['command']}`.")
        and "\nMachine: " in md
        and "| network | role | form |" in md
        and "Camera-to-grasp at 640x480" in md
        and f"on a {DEPLOYED_CROP_SIZE} px crop" in md
    )


def test_bench_refuses_a_missing_model_with_a_clear_message(tmp_path, capsys):
    missing = tmp_path / "nope.pt"
    assert main(["bench", "--grasp-models", str(missing), "--depth-models", "--out-dir", str(tmp_path)]) == 1
    assert "nope.pt" in capsys.readouterr().err and not (tmp_path / "bench.json").exists()


def test_accuracy_is_read_from_the_teams_model_cards(tiny_models, tmp_path):
    import shutil

    from kd_grasp_ros.bench.networks import accuracy, load_network

    grasp = Path(shutil.copy(tiny_models / "grasp_student_v1.pt", tmp_path / "grasp_student_v1.pt"))
    grasp.with_suffix(".json").write_text(
        json.dumps(
            {"held_out_eval": [{"dataset": ["data/cornell-01"], "which": "test", "accuracy": 0.8, "n": 10}]}
        )
    )
    depth = Path(shutil.copy(tiny_models / "depth_student.pt", tmp_path / "depth_student.pt"))
    depth.with_suffix(".json").write_text(
        json.dumps(
            {
                "architecture": "student",
                "evaluations": [
                    {
                        "dataset": "cleargrasp-sample",
                        "split": "real",
                        "n": 2,
                        "methods": {
                            "student": {"rmse": 0.031, "rel": 0.05, "delta_1.05": 61.0},
                            "raw": {"rmse": 0.2},
                        },
                    }
                ],
            }
        )
    )
    assert accuracy(load_network("grasp", str(grasp))) == {
        "text": "data/cornell-01 test: 80.0% (n=10)",
        "source": "model card grasp_student_v1.json",
    }
    text = accuracy(load_network("depth", str(depth)))["text"]
    assert text == "cleargrasp-sample [real]: RMSE 0.031 m, REL 0.050, d1.05 61.0% (n=2)"


@pytest.mark.ros
@pytest.mark.timeout(240)
def test_node_graph_bench_runs_the_shipped_graph_and_reports_rate_and_latency(ros_domain):
    """A short run of the node-graph part (composed only); timings are printed by the command, not
    asserted here."""
    from kd_grasp_ros.bench.node_graph import bench_node_graph
    from kd_grasp_ros.bench.report import _node_graph_lines

    nodes = bench_node_graph(modes=("composed",), seconds=2.0, closed_loop_frames=3)
    assert nodes["parameter_files"] == ["depth_completion.yaml", "grasp_detection.yaml"]
    assert nodes["frame_size"] == [640, 480] and "separate" not in nodes
    run = nodes["composed"]
    assert run["frames_sent"] == 60 and 0 < run["frames_answered"] <= run["frames_sent"]
    assert run["output_fps"] == run["frames_answered"] / 2.0
    assert 0 < run["end_to_end_ms"]["p10"] <= run["end_to_end_ms"]["median"] <= run["end_to_end_ms"]["p90"]
    assert run["closed_loop_ms"]["n"] == 3
    assert run["driver_send_ms"]["n"] == 60 and run["driver_send_ms"]["median"] > 0
    assert set(run["node_latency_ms"]) == {"depth_completion_node", "grasp_detection_node"}
    depth_stages = run["node_stage_ms"]["depth_completion_node"]
    assert {"convert_ms", "inference_ms", "publish_ms", "age_at_publish_ms"} <= set(depth_stages)
    assert {"network_ms", "poses_ms"} <= set(run["node_stage_ms"]["grasp_detection_node"])
    (line,) = [x for x in _node_graph_lines(nodes) if x]
    assert line.startswith(
        "Node graph, composed (pipeline_composed; depth_completion.yaml, "
        "grasp_detection.yaml), 640x480 frames at 30 Hz for 2 s"
    )
