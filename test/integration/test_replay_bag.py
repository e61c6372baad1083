"""`kd-grasp replay`: bag reading/writing, offline processing (deterministic, all outputs written) and
publishing a bag with /clock to a live graph."""

from __future__ import annotations

import argparse
import csv
import json
import time

import numpy as np
import pytest
from node_test_helpers import REPO_ROOT, Listener, depth_model_path, grasp_model_path

from kd_grasp_ros.replay import cli
from kd_grasp_ros.replay.bag_io import BagError, bag_topics, deserialize, read_messages
from kd_grasp_ros.replay.sample_bag import (
    DEFAULT_RATE_HZ,
    SAMPLE_TOPICS,
    START_TIME_NS,
    sample_scene,
    write_sample_bag,
)

SAMPLE_BAG = REPO_ROOT / "models" / "sample_bags" / "sim_cell"
FRAMES = 3


@pytest.fixture(scope="module")
def box_bag(tmp_path_factory):
    return write_sample_bag(tmp_path_factory.mktemp("bags") / "box", source="box", frames=FRAMES)


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(list(argv))


def _shared_or_none(request):
    try:
        return request.getfixturevalue("shared_dir")
    except pytest.skip.Exception:
        return None


def test_sample_bag_ships_with_the_realsense_topics():
    assert sum(f.stat().st_size for f in SAMPLE_BAG.iterdir()) < 20e6
    image, info = "sensor_msgs/msg/Image", "sensor_msgs/msg/CameraInfo"
    assert bag_topics(SAMPLE_BAG) == {
        SAMPLE_TOPICS["color"]: image,
        SAMPLE_TOPICS["color_info"]: info,
        SAMPLE_TOPICS["depth"]: image,
        SAMPLE_TOPICS["depth_info"]: info,
    }
    depth = [deserialize(m) for m in read_messages(SAMPLE_BAG, [SAMPLE_TOPICS["depth"]])]
    assert [d.encoding for d in depth] == ["16UC1"] * 4
    assert depth[0].header.stamp.sec * 10**9 + depth[0].header.stamp.nanosec == START_TIME_NS


def test_bag_errors_name_the_problem(tmp_path, box_bag):
    with pytest.raises(BagError, match="not a rosbag2 directory"):
        bag_topics(tmp_path)
    with pytest.raises(BagError, match=r"has no topic\(s\) \['/nope'\]"):
        list(read_messages(box_bag, ["/nope"]))


@pytest.mark.timeout(120)
def test_offline_replay_is_deterministic_and_writes_every_output(tmp_path, box_bag, request):
    grasp_model = str(grasp_model_path(_shared_or_none(request)))
    common = ("--offline", "--no-depth-completion", "--grasp-model", grasp_model, "--write-bag")
    assert cli.run(_args(str(box_bag), "--out-dir", str(tmp_path / "a"), *common)) == 0
    assert cli.run(_args(str(box_bag), "--out-dir", str(tmp_path / "b"), *common)) == 0

    first = json.loads((tmp_path / "a" / "results.json").read_text())
    second = json.loads((tmp_path / "b" / "results.json").read_text())
    strip = [{k: v for k, v in f.items() if k != "timings_ms"} for f in first["results"]]
    assert strip == [{k: v for k, v in f.items() if k != "timings_ms"} for f in second["results"]]
    assert first["frames"] == FRAMES and first["frames_with_grasp"] >= 1
    rows = list(csv.DictReader(open(tmp_path / "a" / "results.csv")))
    assert len(rows) == sum(len(f["candidates"]) for f in first["results"])
    pngs = sorted(p.name for p in (tmp_path / "a").glob("*.png"))
    assert pngs == [f"frame_{i:04d}.png" for i in range(FRAMES)]
    out_topics = bag_topics(tmp_path / "a" / "grasps_bag")
    assert out_topics["/grasp_pose"] == "geometry_msgs/msg/PoseStamped"
    assert out_topics["/grasp_candidates_info"] == "std_msgs/msg/Float32MultiArray"
    poses = [deserialize(m) for m in read_messages(tmp_path / "a" / "grasps_bag", ["/grasp_pose"])]
    assert poses[0].pose.position.z == pytest.approx(float(rows[0]["z"]))


@pytest.mark.timeout(120)
def test_offline_replay_with_depth_completion(tmp_path, box_bag, request):
    grasp_model = str(grasp_model_path(_shared_or_none(request)))
    args = _args(
        str(box_bag),
        "--offline",
        "--out-dir",
        str(tmp_path / "c"),
        "--depth-model",
        str(depth_model_path(tmp_path)),
        "--grasp-model",
        grasp_model,
    )
    assert cli.run(args) == 0
    summary = json.loads((tmp_path / "c" / "results.json").read_text())
    assert summary["depth_completion"] is True and summary["frames"] == FRAMES
    assert "depth_inference" in summary["results"][0]["timings_ms"]
    # the shipped students put the best grasp on the box: on the opaque box (even frames) at its top; on
    # the transparent one (odd frames, no depth on the box) the completed depth is coarser (the student
    # puts the top a few cm too high on this bag), so only "above the table" is asserted there
    for i, frame in enumerate(summary["results"]):
        scene = sample_scene(i, FRAMES)
        best, top = frame["candidates"][0], scene.top_centre
        if i % 2 == 0:
            assert abs(best["z"] - top[2]) < 0.015, f"frame {i}: z {best['z']:.3f}, top {top}"
        else:
            assert best["z"] < scene.table_depth_m - 0.02, f"frame {i}: z {best['z']:.3f} is the table"
        assert np.hypot(best["x"] - top[0], best["y"] - top[1]) < 0.06, f"frame {i}: off the box"


def test_offline_needs_out(capsys, box_bag):
    assert cli.run(_args(str(box_bag), "--offline")) == 2
    assert "--offline needs --out" in capsys.readouterr().err


@pytest.mark.ros
@pytest.mark.timeout(90)
def test_replay_publishes_the_bag_with_clock(spawn_node, rclpy_context, box_bag):
    from rosgraph_msgs.msg import Clock
    from sensor_msgs.msg import Image

    listener = Listener(rclpy_context, {"/clock": Clock, SAMPLE_TOPICS["depth"]: Image})
    frame_stamps = {START_TIME_NS + round(i * 1e9 / DEFAULT_RATE_HZ) for i in range(FRAMES)}

    def clock_ns():
        return {c.clock.sec * 10**9 + c.clock.nanosec for c in listener.received["/clock"]}

    try:
        player = spawn_node(
            "kd-grasp", extra_args=["replay", str(box_bag), "--rate", "2.0", "--loop", "--start-delay", "0.5"]
        )
        depth = listener.wait_for(SAMPLE_TOPICS["depth"], FRAMES + 1, 60.0)
        deadline = time.monotonic() + 30.0
        while not frame_stamps <= clock_ns():  # looping: every frame time comes round on /clock
            assert time.monotonic() < deadline, f"/clock gave {sorted(clock_ns())}"
            listener.spin_for(0.2)
    finally:
        listener.close()
    assert player.is_running()
    assert {d.header.stamp.sec * 10**9 + d.header.stamp.nanosec for d in depth} <= frame_stamps
