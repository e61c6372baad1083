"""Executor core without a robot: frames, hand-eye, yaw symmetry, safety checks, dry run, trajectory."""

import dataclasses

import numpy as np
import pytest
from executor_test_helpers import CAMERA, camera_grasp

from kd_grasp_ros.common.transforms import make_transform, rot_x, rot_z
from kd_grasp_ros.executor.config import ExecutorConfig
from kd_grasp_ros.executor.errors import CandidatesRejectedError, ExecutorConfigError, UnsafeGraspError
from kd_grasp_ros.executor.executor import GraspExecutor
from kd_grasp_ros.executor.hand_eye import HandEye, TcpPoseHistory
from kd_grasp_ros.executor.planner import fingertip_floor, lowest_fingertip_z, plan_attempt
from kd_grasp_ros.executor.robot_frames import base_link_to_ur_pose, tcp_from_q, ur_pose_to_base_link
from kd_grasp_ros.executor.safety import check_plan
from kd_grasp_ros.executor.trajectory import plan_to_trajectory
from kd_grasp_ros.robot.gripper_params import FINGER_DEPTH_M
from kd_grasp_ros.robot.ur10e_params import HOME_Q

NOW = 1000.0


def grasp(position, yaw=0.0, quality=0.9, stamp=NOW, width=0.04, frame=CAMERA):
    return dataclasses.replace(camera_grasp(position, yaw, quality, width, stamp), frame_id=frame)


def dry_executor(**overrides) -> GraspExecutor:
    return GraspExecutor(ExecutorConfig(**overrides), clock=lambda: NOW)


def test_base_and_base_link_differ_by_a_half_turn_about_z():
    # A TCP at (0.5, 0.2, 0.3) in base_link pointing down is at (-0.5, -0.2, 0.3) in base.
    t = make_transform(rot_x(np.pi), [0.5, 0.2, 0.3])
    pose = base_link_to_ur_pose(t)
    np.testing.assert_allclose(pose[:3], [-0.5, -0.2, 0.3], atol=1e-12)
    # rot_z(pi) @ rot_x(pi) = rot_y(pi): rotation vector (0, pi, 0) up to sign.
    np.testing.assert_allclose(np.abs(pose[3:]), [0.0, np.pi, 0.0], atol=1e-9)
    np.testing.assert_allclose(ur_pose_to_base_link(pose), t, atol=1e-12)
    # HOME_Q's TCP: base (A3 - D5, -D4, ...) becomes +x, +y in base_link.
    np.testing.assert_allclose(tcp_from_q(HOME_Q, 0.0)[:3, 3], [0.69140, 0.17415, 0.67685], atol=1e-4)


def test_eye_to_hand_grasp_lands_at_the_hand_computed_base_link_pose():
    # Camera 1 m above (0.6, 0, 0) looking down (x along base x, y along -y, z down).
    he = HandEye(ExecutorConfig(camera_xyz_m=(0.6, 0.0, 1.0), camera_quat_xyzw=(1.0, 0.0, 0.0, 0.0)))
    t = he.grasp_in_base_link(grasp([0.05, 0.02, 0.9], yaw=0.0))
    np.testing.assert_allclose(t[:3, 3], [0.65, -0.02, 0.1], atol=1e-12)
    np.testing.assert_allclose(t[:3, 2], [0.0, 0.0, -1.0], atol=1e-12)  # approach straight down
    np.testing.assert_allclose(t[:3, 1], [0.0, -1.0, 0.0], atol=1e-12)  # closing along camera y = -y


def test_eye_in_hand_uses_the_tcp_pose_at_the_image_time():
    cfg = ExecutorConfig(
        hand_eye_mode="eye_in_hand",
        camera_xyz_m=(0.0, 0.05, 0.0),
        camera_quat_xyzw=(0.0, 0.0, 0.0, 1.0),
        tcp_offset_m=0.1,
    )
    history = TcpPoseHistory(horizon_s=5.0, max_gap_s=0.5)
    down = rot_x(np.pi)
    history.add(10.0, make_transform(down, [0.5, 0.0, 0.6]))
    history.add(10.2, make_transform(down, [0.5, 0.2, 0.6]))
    he = HandEye(cfg, history)
    # At t = 10.1 the TCP is at (0.5, 0.1, 0.6), the flange 0.1 m above it (tool z is down): z = 0.7.
    # The camera sits 0.05 m along flange y (= -y in base_link), and sees the grasp 0.3 m along its z (down).
    t = he.grasp_in_base_link(grasp([0.0, 0.0, 0.3], stamp=10.1))
    np.testing.assert_allclose(t[:3, 3], [0.5, 0.05, 0.4], atol=1e-9)
    with pytest.raises(UnsafeGraspError, match="tcp_history_gap"):
        he.grasp_in_base_link(grasp([0.0, 0.0, 0.3], stamp=20.0))


def test_yaw_symmetry_avoids_needless_wrist_turns():
    cfg = ExecutorConfig()
    down = rot_x(np.pi)
    plans = [
        plan_attempt(cfg, make_transform(down @ rot_z(a), [0.7, 0.1, 0.1]), 0.04, HOME_Q)
        for a in (0.3, 0.3 + np.pi)
    ]
    q_a, q_b = (p.steps[1].q for p in plans)
    np.testing.assert_allclose(q_a, q_b, atol=1e-9)  # the half-turned grasp gives the same joints
    assert abs(q_a[5] - HOME_Q[5]) <= np.pi / 2 + 1e-9  # never more than a quarter turn of the wrist
    np.testing.assert_allclose(plans[0].grasp_tcp[:3, 3], [0.7, 0.1, 0.1 - cfg.grasp_depth_m], atol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"quality": 0.1}, "low_quality"),
        ({"stamp": NOW - 10.0}, "stale"),
        ({"width": 0.5}, "width"),
    ],
)
def test_bad_grasps_are_rejected_with_a_reason(kwargs, reason):
    with pytest.raises(UnsafeGraspError) as err:
        dry_executor().plan(grasp([0.05, 0.0, 0.9], **kwargs))
    assert err.value.reason == reason


@pytest.mark.parametrize(
    ("position", "overrides", "reason"),
    [
        ([0.05, 0.0, 1.0], {}, "below_z_floor"),  # the table surface itself: z = 0
        ([0.0, 0.85, 0.8], {}, "outside_workspace"),  # y = -0.85 m, reachable but outside the box
        (
            [0.9, -0.9, 0.5],
            {"workspace_min_m": (-2.0, -2.0, -1.0), "workspace_max_m": (2.0, 2.0, 2.0)},
            "unreachable",
        ),
    ],
)
def test_unsafe_targets_are_rejected_before_motion(position, overrides, reason):
    with pytest.raises(UnsafeGraspError) as err:
        dry_executor(**overrides).plan(grasp(position))
    assert err.value.reason == reason


def test_speed_caps_and_bad_settings_fail_at_configuration():
    with pytest.raises(ExecutorConfigError, match="exceeds max_linear_speed_mps"):
        ExecutorConfig(linear_speed_mps=0.9)
    with pytest.raises(ExecutorConfigError, match="hard cap"):
        ExecutorConfig(max_joint_speed_radps=5.0)
    with pytest.raises(ExecutorConfigError, match="unknown executor setting"):
        ExecutorConfig.from_mapping({"robot_ipp": "1.2.3.4"})


def test_every_waypoint_of_a_plan_passes_the_checks_and_dry_run_reports_planned():
    seen = []
    ex = GraspExecutor(ExecutorConfig(place_mode="place"), clock=lambda: NOW, on_plan=seen.append)
    report = ex.execute(grasp([0.05, 0.02, 0.9], yaw=0.4))
    assert report.outcome == "planned" and report.dry_run and report.phases == []
    assert seen == [report.plan]
    phases = [s.phase for s in report.plan.steps]
    assert phases == [
        "open",
        "pre_grasp",
        "approach",
        "close",
        "lift",
        "place_above",
        "place",
        "release",
        "retreat",
        "home",
    ]
    check_plan(report.plan, ex.cfg)
    pre, approach = report.plan.steps[1], report.plan.steps[2]
    np.testing.assert_allclose(pre.tcp[:3, 3] - approach.tcp[:3, 3], [0.0, 0.0, 0.10], atol=1e-12)
    np.testing.assert_allclose(tcp_from_q(approach.q, ex.cfg.tcp_offset_m), approach.tcp, atol=1e-9)


def test_joint_trajectory_follows_the_plan():
    ex = dry_executor()
    plan = ex.plan(grasp([0.05, 0.02, 0.9], yaw=0.4))
    traj = plan_to_trajectory(plan, ex.cfg)
    assert np.all(np.diff(traj.times_s) > 0)
    np.testing.assert_allclose(traj.positions[0], HOME_Q)
    np.testing.assert_allclose(traj.positions[-1], plan.steps[-1].q, atol=1e-9)
    np.testing.assert_allclose(traj.velocities[-1], 0.0)
    assert [e[1] for e in traj.events] == ["open", "close"]
    close_time = traj.events[1][0]
    q_at_close = traj.positions[traj.times_s.index(close_time)]
    np.testing.assert_allclose(tcp_from_q(q_at_close, ex.cfg.tcp_offset_m), plan.grasp_tcp, atol=1e-6)
    steps = np.abs(np.diff(np.array(traj.positions), axis=0))
    assert steps.max() < 0.2  # no jumps between samples


def test_grasp_in_the_wrong_frame_is_rejected():
    with pytest.raises(UnsafeGraspError, match="wrong_frame"):
        dry_executor().plan(grasp([0.05, 0.0, 0.9], frame="some_other_camera"))


@pytest.mark.parametrize(
    ("height_m", "tcp_z_above_floor_m"),
    [
        (0.01, 0.0),  # a thin object on the table: the extra travel stops at the floor
        (0.10, 0.07),  # well above the floor: the full grasp_depth_m
    ],
)
def test_grasp_depth_is_shortened_to_keep_the_tcp_above_the_floor(height_m, tcp_z_above_floor_m):
    ex = dry_executor(grasp_depth_m=0.03)
    floor = ex.cfg.z_floor_m
    plan = ex.plan(grasp([0.05, 0.02, 1.0 - floor - height_m]))  # the camera looks down from z = 1 m
    np.testing.assert_allclose(plan.grasp_tcp[:3, 3], [0.65, -0.02, floor + tcp_z_above_floor_m], atol=1e-12)
    assert plan.grasp_tcp[2, 3] >= floor
    approach = next(s for s in plan.steps if s.phase == "approach")
    np.testing.assert_allclose(tcp_from_q(approach.q, ex.cfg.tcp_offset_m), plan.grasp_tcp, atol=1e-9)
    check_plan(plan, ex.cfg)


def test_a_grasp_point_below_the_floor_is_refused_whatever_the_depth():
    ex = dry_executor(grasp_depth_m=-0.05)  # even a depth that would lift the TCP above the floor
    with pytest.raises(UnsafeGraspError, match="below z_floor_m") as err:
        ex.plan(grasp([0.05, 0.02, 1.0 - ex.cfg.z_floor_m + 0.005]))
    assert err.value.reason == "below_z_floor"
    with pytest.raises(UnsafeGraspError, match="grasp point"):
        plan_attempt(ex.cfg, make_transform(rot_x(np.pi), [0.65, -0.02, 0.01]), 0.04, HOME_Q)


def test_plan_first_returns_the_first_plannable_candidate_and_names_every_rejection():
    ex = dry_executor()
    outside = grasp([0.0, 0.85, 0.8])  # y = -0.85 m in base_link: outside the workspace box
    poor = grasp([0.05, 0.02, 0.9], quality=0.1)
    good = grasp([0.05, 0.02, 0.9], yaw=0.4)
    index, plan = ex.plan_first([outside, poor, good])
    assert index == 2
    np.testing.assert_allclose(plan.grasp_tcp[:3, 3], [0.65, -0.02, 0.10 - ex.cfg.grasp_depth_m], atol=1e-12)
    np.testing.assert_allclose(plan.start_q, HOME_Q)  # not connected: planned from home_q
    with pytest.raises(CandidatesRejectedError) as err:
        ex.plan_first([outside, poor])
    assert err.value.reason == "no_plannable_candidate"
    assert [(i, e.reason) for i, e in err.value.rejections] == [(0, "outside_workspace"), (1, "low_quality")]
    message = str(err.value)
    assert "candidate 0: outside_workspace" in message and "; candidate 1: low_quality" in message
    # max_candidates bounds the search; a single candidate tried fails with its own error.
    with pytest.raises(UnsafeGraspError) as err:
        dry_executor(max_candidates=2).plan_first([outside, poor, good])
    assert [i for i, _ in err.value.rejections] == [0, 1]
    with pytest.raises(UnsafeGraspError) as err:
        dry_executor(max_candidates=1).plan_first([outside, good])
    assert err.value.reason == "outside_workspace" and not isinstance(err.value, CandidatesRejectedError)
    for bad in (0, 21, 2.0, True):
        with pytest.raises(ExecutorConfigError, match="max_candidates"):
            ExecutorConfig(max_candidates=bad)


def test_plan_home_opens_then_moves_to_home_q_and_passes_the_checks():
    cfg = ExecutorConfig()
    start = np.asarray(HOME_Q) + np.array([0.3, -0.2, 0.2, 0.1, 0.0, 0.5])
    plan = dry_executor().plan_home(start)
    assert [(s.phase, s.kind) for s in plan.steps] == [("open", "gripper"), ("move_home", "move_j")]
    np.testing.assert_allclose(plan.start_q, start)
    np.testing.assert_allclose(plan.steps[1].q, cfg.home_q)
    np.testing.assert_allclose(plan.grasp_tcp, tcp_from_q(HOME_Q, cfg.tcp_offset_m), atol=1e-12)
    with pytest.raises(UnsafeGraspError, match="outside the workspace"):
        dry_executor(workspace_max_m=(0.5, 0.8, 1.2)).plan_home(start)  # home is at x = 0.69 m


TILTED = rot_x(np.pi) @ rot_x(0.35)  # a grasp seen by a camera tilted 20 deg: z off vertical, one jaw lower


def test_the_lowest_fingertip_of_a_vertical_gripper_is_half_a_pad_below_the_tcp():
    tcp = make_transform(rot_x(np.pi) @ rot_z(0.7), [0.6, 0.0, 0.1])
    assert lowest_fingertip_z(tcp, 0.085) == pytest.approx(0.1 - FINGER_DEPTH_M / 2)
    assert (
        lowest_fingertip_z(make_transform(TILTED, [0.6, 0.0, 0.1]), 0.085) < 0.1 - FINGER_DEPTH_M / 2 - 0.01
    )


@pytest.mark.parametrize(("height_above_floor_m", "along_grasp_axis"), [(0.12, True), (0.01, False)])
def test_auto_approach_follows_the_grasp_axis_unless_the_tilted_fingers_would_reach_too_low(
    height_above_floor_m, along_grasp_axis
):
    """auto: a tilted grasp high above the floor is approached along its own z (the camera's view); near
    the floor the open fingers of that tilt would end lower than vertical ones may, so it goes straight
    down with the same closing yaw. Both plans pass the checks."""
    cfg = ExecutorConfig(approach_mode="auto")
    point = [0.65, -0.02, cfg.z_floor_m + height_above_floor_m]
    plan = plan_attempt(cfg, make_transform(TILTED, point), 0.04, HOME_Q)
    check_plan(plan, cfg)
    approach = plan.grasp_tcp[:3, 2]
    if along_grasp_axis:
        np.testing.assert_allclose(approach, TILTED[:, 2], atol=1e-12)
    else:
        np.testing.assert_allclose(approach, [0.0, 0.0, -1.0], atol=1e-12)
        closing = TILTED[:2, 1] / np.linalg.norm(TILTED[:2, 1])
        assert abs(plan.grasp_tcp[:2, 1] @ closing) == pytest.approx(1.0)
    assert lowest_fingertip_z(plan.grasp_tcp, cfg.stroke_m) >= fingertip_floor(cfg) - 1e-12


def test_a_tilted_approach_whose_fingertips_pass_below_the_floor_is_refused():
    """grasp_axis near the floor: the TCP stays above z_floor_m but the lower jaw's pad would not."""
    cfg = ExecutorConfig(approach_mode="grasp_axis")
    plan = plan_attempt(cfg, make_transform(TILTED, [0.65, -0.02, cfg.z_floor_m + 0.01]), 0.04, HOME_Q)
    assert plan.grasp_tcp[2, 3] >= cfg.z_floor_m
    with pytest.raises(UnsafeGraspError, match="lowest pad corner") as err:
        check_plan(plan, cfg)
    assert err.value.reason == "fingertips_below_floor"
