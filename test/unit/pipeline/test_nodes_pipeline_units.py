"""Fast tests of the ROS-free pieces the nodes stand on: approximate-time sync, frame checks, the
grasp stage's filtering, pictures, the synthetic scene, and the grasp message conversions."""

from __future__ import annotations

import numpy as np
import pytest

from kd_grasp_ros.common.grasp_types import GraspPose, ImageGrasp
from kd_grasp_ros.common.intrinsics import D435_640X480
from kd_grasp_ros.common.transforms import rot_z
from kd_grasp_ros.pipeline.frame_checks import FrameInputError, StaleFrameFilter, check_depth, check_sizes
from kd_grasp_ros.pipeline.grasp_stage import GraspFilterConfig, GraspStageConfigError, candidates_info
from kd_grasp_ros.pipeline.sync import ApproximateTimeSynchronizer, SyncConfigError
from kd_grasp_ros.pipeline.synthetic_scene import BoxScene, render_box_scene
from kd_grasp_ros.pipeline.visualize import depth_to_rgb, draw_grasps, grasp_corners, quality_heatmap


def test_sync_pairs_closest_items_within_slop_once_and_in_order():
    sync = ApproximateTimeSynchronizer(("color", "depth"), queue_size=10, slop_s=0.05)
    assert sync.add("color", 1.00, "c1") is None
    assert sync.add("color", 1.033, "c2") is None
    pair = sync.add("depth", 1.03, "d2")
    assert pair["color"].item == "c2" and pair["depth"].item == "d2"  # closest, not oldest
    assert sync.add("depth", 1.01, "late") is None and sync.refused_late == 1  # would run backwards
    assert sync.add("depth", 1.20, "d3") is None  # 0.167 s from anything left
    assert sync.add("color", 1.19, "c3")["depth"].item == "d3"
    assert sync.matched == 2 and sync.pending() == {"color": 0, "depth": 0}


def test_sync_queue_is_bounded_and_restarts_after_time_jumps_back():
    sync = ApproximateTimeSynchronizer(("a", "b"), queue_size=3, slop_s=0.01)
    for i in range(10):
        sync.add("a", float(i), i)
    assert sync.pending()["a"] == 3
    assert sync.add("b", 9.0, "b9")["a"].item == 9
    assert sync.add("a", 8.5, "again") is None and sync.refused_late == 0  # bag looped: fresh start
    assert sync.pending() == {"a": 1, "b": 0}
    assert sync.add("b", 8.5, "b0")["a"].item == "again"


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(streams=("a",)),
        dict(streams=("a", "a")),
        dict(streams=("a", "b"), queue_size=0),
        dict(streams=("a", "b"), slop_s=-1),
    ],
)
def test_sync_rejects_bad_configuration(kwargs):
    with pytest.raises(SyncConfigError):
        ApproximateTimeSynchronizer(**kwargs)


def test_sync_rejects_unknown_stream():
    with pytest.raises(SyncConfigError, match="unknown stream 'x'"):
        ApproximateTimeSynchronizer(("a", "b")).add("x", 0.0, None)


def test_frame_checks_say_what_is_wrong():
    depth = np.full((4, 6), 0.7, np.float32)
    assert check_depth(depth) == 1.0
    with pytest.raises(FrameInputError, match="NaN or inf"):
        check_depth(np.where(depth > 0, np.nan, 0).astype(np.float32))
    with pytest.raises(FrameInputError, match="only 0.0% of depth pixels are valid"):
        check_depth(np.zeros((4, 6), np.float32))
    with pytest.raises(FrameInputError, match="float metres"):
        check_depth(np.ones((4, 6), np.uint16))
    intr = D435_640X480.scaled(6, 4)
    check_sizes(depth, intr, np.zeros((4, 6, 3), np.uint8))
    with pytest.raises(FrameInputError, match="camera_info is 6x4 but the depth image is 5x4"):
        check_sizes(depth[:, :5], intr)
    with pytest.raises(FrameInputError, match="colour image is 5x4"):
        check_sizes(depth, intr, np.zeros((4, 5, 3), np.uint8))


def test_stale_filter_counts_old_future_and_unstamped_frames():
    gate = StaleFrameFilter(max_age_s=0.5, max_future_s=0.1)
    assert gate.accept(10.0, 10.4) and not gate.accept(10.0, 10.6)
    assert gate.accept(10.05, 10.0) and not gate.accept(10.2, 10.0)  # 0.05 s ahead: fine; 0.2 s: refused
    assert "future" in gate.refusal(3610.0, 10.0)
    for unstamped in (0.0, -5.0, float("nan")):
        assert "unstamped" in gate.refusal(unstamped, 10.0)
    assert (gate.accepted, gate.dropped, gate.future_dropped, gate.unstamped) == (2, 1, 2, 3)
    assert StaleFrameFilter(max_age_s=0.0).accept(1.0, 1e6)  # 0 = never too old


def test_grasp_filter_config_validation_and_workspace():
    cfg = GraspFilterConfig(workspace_min=(-0.1, -0.1, 0.5), workspace_max=(0.1, 0.1, 1.0))
    assert cfg.in_workspace(np.array([0.0, 0.05, 0.7])) and not cfg.in_workspace(np.array([0.0, 0.0, 1.2]))
    with pytest.raises(GraspStageConfigError, match="below workspace_max"):
        GraspFilterConfig(workspace_min=(0, 0, 1.0), workspace_max=(1, 1, 0.5))
    with pytest.raises(GraspStageConfigError, match="top_k"):
        GraspFilterConfig(top_k=0)
    pose = GraspPose(position=np.zeros(3), rotation=np.eye(3), width_m=0.04, quality=0.9, frame_id="c")
    assert candidates_info([pose, pose]) == pytest.approx([0.9, 0.04, 0.9, 0.04])


def test_synthetic_box_top_is_where_the_geometry_says():
    scene = BoxScene(box_centre_xy_m=(0.03, -0.02), box_yaw_rad=0.4)
    frame = render_box_scene(D435_640X480, scene, transparent_box=False)
    u, v = D435_640X480.project(scene.top_centre)
    assert frame.depth_m[int(round(v)), int(round(u))] == pytest.approx(scene.top_centre[2], abs=1e-5)
    assert frame.depth_m[5, 5] == pytest.approx(scene.table_depth_m)
    transparent = render_box_scene(D435_640X480, scene, transparent_box=True)
    assert np.all(transparent.depth_m[frame.box_mask] == 0) and frame.box_mask.sum() > 1000


def test_pictures_have_the_right_shapes_and_colours():
    heat = quality_heatmap(np.array([[0.0, 1.0]], np.float32))
    assert heat.dtype == np.uint8 and heat[0, 0, 2] > heat[0, 0, 0] and heat[0, 1, 0] > heat[0, 1, 2]
    grasp = ImageGrasp(row=50, col=60, angle=0.0, width_px=40, quality=0.9, length_px=10)
    corners = grasp_corners(grasp)
    assert np.ptp(corners[:, 0]) == pytest.approx(40) and np.ptp(corners[:, 1]) == pytest.approx(10)
    canvas = draw_grasps(np.zeros((100, 120, 3), np.uint8), [grasp])
    assert tuple(canvas[50, 60]) == (0, 255, 0)
    grey = depth_to_rgb(np.array([[0.5, 1.0, 0.0]], np.float32), (0.5, 1.0))
    assert grey[0, 0, 0] == 255 and grey[0, 1, 0] == 0 and grey[0, 2, 0] == 0


def test_grasp_messages_keep_the_gripper_axes():
    from kd_grasp_ros.nodes.grasp_messages import (
        candidates_info_msg,
        grasp_markers,
        msg_to_rotation,
        pose_to_msg,
    )

    rotation = rot_z(0.7)
    pose = GraspPose(
        position=np.array([0.1, -0.2, 0.6]),
        rotation=rotation,
        width_m=0.05,
        quality=0.8,
        frame_id="camera_color_optical_frame",
    )
    msg = pose_to_msg(pose)
    np.testing.assert_allclose(msg_to_rotation(msg), rotation, atol=1e-9)
    assert (msg.position.x, msg.position.y, msg.position.z) == pytest.approx((0.1, -0.2, 0.6))
    info = candidates_info_msg([pose])
    assert list(info.data) == pytest.approx([0.8, 0.05]) and info.layout.dim[1].label == "quality,width_m"
    from std_msgs.msg import Header

    markers = grasp_markers([pose], Header(frame_id="camera_color_optical_frame"))
    assert markers.markers[0].action == markers.markers[0].DELETEALL and len(markers.markers[1].points) == 8
