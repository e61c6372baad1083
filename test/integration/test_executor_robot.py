"""GraspExecutor through the unmodified ur_rtde client against emulated controllers (separate processes).

The module's emulator serves a wet and a dry executor (sequence, dry run, rejections, protective stop,
cancel); the safety plane and the connection loss are in test_executor_protective_stop.py.
"""

import threading
import time

import numpy as np
import pytest
from executor_test_helpers import FAST_MOTION, camera_grasp
from ros_helpers import wait_until

from kd_grasp_ros.common.transforms import rot_x, rot_z
from kd_grasp_ros.executor.cancel import AttemptGuard, CancelToken
from kd_grasp_ros.executor.config import ExecutorConfig
from kd_grasp_ros.executor.errors import (
    ExecutionCancelledError,
    ProtectiveStopError,
    RobotStateError,
    UnsafeGraspError,
)
from kd_grasp_ros.executor.executor import GraspExecutor
from kd_grasp_ros.executor.gripper import RobotiqSocketGripper

# the shipped grasp_depth_m: the TCP goes this far past the seen surface (down)
GRASP_DEPTH_M = ExecutorConfig().grasp_depth_m

pytest.importorskip("rtde_control")

WAIT_S = 10.0
FAST = {**FAST_MOTION, "approach_offset_m": 0.1}
TOOL0_BIT = 16


def make_executor(host: str, **overrides) -> GraspExecutor:
    ex = GraspExecutor(ExecutorConfig(robot_ip=host, **{**FAST, "dry_run": False, **overrides}))
    ex.connect()
    return ex


@pytest.fixture(scope="module")
def executor(emulator):
    ex = make_executor(emulator.host)
    yield ex
    ex.disconnect()


@pytest.fixture(scope="module")
def dry_executor(emulator):
    ex = make_executor(emulator.host, dry_run=True)
    yield ex
    ex.disconnect()


def settled_q(ex: GraspExecutor) -> np.ndarray:
    time.sleep(0.05)  # a few stream samples
    return ex.link.actual_q()


@pytest.mark.timeout(60)
def test_full_grasp_sequence_ends_with_the_gripper_closed_at_the_grasp(executor):
    report = executor.execute(camera_grasp([0.05, 0.02, 0.9], yaw=0.4))
    assert report.outcome == "succeeded"
    assert [p.phase for p in report.phases if p.status == "done"] == [
        "open",
        "pre_grasp",
        "approach",
        "close",
        "lift",
    ]
    # Hand-computed: camera at (0.6, 0, 1) looking down -> grasp at (0.65, -0.02, 0.1) in base_link.
    close = report.phase("close")
    np.testing.assert_allclose(close.tcp_pose[:3], [0.65, -0.02, 0.10 - GRASP_DEPTH_M], atol=1e-3)
    assert close.gripper_closed
    tcp = executor.link.tcp_base_link()
    np.testing.assert_allclose(tcp[:3, 3], [0.65, -0.02, 0.20 - GRASP_DEPTH_M], atol=1e-3)  # lifted 0.1 m
    np.testing.assert_allclose(tcp[:3, 2], [0.0, 0.0, -1.0], atol=1e-6)  # pointing down
    closing = rot_x(np.pi) @ rot_z(0.4) @ np.array([0.0, 1.0, 0.0])  # grasp y in base_link
    assert abs(float(tcp[:3, 1] @ closing)) == pytest.approx(1.0, abs=1e-6)  # jaws across the object
    assert executor.link.digital_output(TOOL0_BIT)
    assert report.t_first_motion_s is not None


@pytest.mark.timeout(60)
def test_dry_run_plans_but_never_moves(emulator, dry_executor):
    before, q0 = emulator.motions_started(), settled_q(dry_executor)
    report = dry_executor.execute(camera_grasp([-0.1, 0.1, 0.85]))
    assert report.outcome == "planned" and len(report.plan.steps) == 5
    np.testing.assert_allclose(report.plan.start_q, q0, atol=1e-9)  # planned from the real arm
    assert emulator.motions_started() == before
    np.testing.assert_allclose(settled_q(dry_executor), q0, atol=1e-12)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("position", "reason"),
    [
        ([0.0, 0.85, 0.8], "outside_workspace"),
        ([0.05, 0.0, 1.0], "below_z_floor"),
    ],
)
def test_unsafe_grasp_is_rejected_with_no_motion(emulator, executor, position, reason):
    before, q0 = emulator.motions_started(), settled_q(executor)
    with pytest.raises(UnsafeGraspError) as err:
        executor.execute(camera_grasp(position))
    assert err.value.reason == reason and err.value.report.outcome == "rejected"
    assert emulator.motions_started() == before
    np.testing.assert_allclose(settled_q(executor), q0, atol=1e-12)


@pytest.mark.timeout(60)
def test_cancel_stops_the_arm_mid_motion(executor):
    outcome = {}
    token = CancelToken()

    def attempt():
        try:
            executor.execute(camera_grasp([-0.15, -0.1, 0.8]), AttemptGuard(token))
        except ExecutionCancelledError as err:
            outcome["error"] = err

    worker = threading.Thread(target=attempt)
    start_q = settled_q(executor)
    worker.start()
    wait_until(lambda: np.max(np.abs(executor.link.actual_q() - start_q)) > 0.05, WAIT_S, "the arm to move")
    token.cancel("test")
    worker.join(WAIT_S)
    report = outcome["error"].report
    assert report.outcome == "aborted" and report.phases[-1].status == "aborted"
    aborted = report.phases[-1].phase
    target = next(s.q for s in report.plan.steps if s.phase == aborted)
    q_stop = settled_q(executor)
    assert np.max(np.abs(q_stop - target)) > 1e-3  # stopped short of the target
    np.testing.assert_allclose(settled_q(executor), q_stop, atol=1e-12)  # and stays stopped


@pytest.mark.timeout(60)
def test_protective_stop_mid_approach_aborts_with_no_further_motion(emulator, executor):
    triggered = {}

    def on_phase(result):
        if result.phase == "approach" and result.status == "started":
            z0 = executor.link.tcp_base_link()[2, 3]

            def trigger():
                wait_until(
                    lambda: executor.link.tcp_base_link()[2, 3] < z0 - 0.02, WAIT_S, "the approach to start"
                )
                triggered["motions"] = emulator.motions_started()
                emulator.dashboard("emulator protective stop")

            threading.Thread(target=trigger, daemon=True).start()

    executor.on_phase = on_phase
    try:
        with pytest.raises(ProtectiveStopError) as err:
            executor.execute(camera_grasp([0.1, -0.1, 0.88]))
    finally:
        executor.on_phase = None
    report = err.value.report
    assert report.outcome == "aborted"
    assert report.phases[-1].phase == "approach" and report.phases[-1].status == "aborted"
    assert report.phase("close", "started") is None  # the gripper never closed
    q_stop = settled_q(executor)
    time.sleep(0.2)
    np.testing.assert_allclose(executor.link.actual_q(), q_stop, atol=1e-12)
    assert emulator.motions_started() == triggered["motions"]
    with pytest.raises(ProtectiveStopError):  # still latched: the next attempt refuses to start
        executor.execute(camera_grasp([0.1, -0.1, 0.88]))
    assert emulator.motions_started() == triggered["motions"]
    emulator.dashboard("unlock protective stop")


@pytest.mark.timeout(30)
def test_robotiq_socket_gripper_driver(emulator):
    gripper = RobotiqSocketGripper(ExecutorConfig(robot_ip=emulator.host, gripper_driver="robotiq", **FAST))
    gripper.connect()
    try:
        with pytest.raises(RobotStateError, match="not activated"):
            gripper.close(0.04)  # connecting never activates (the fingers would move)
        gripper.activate()
        gripper.close(0.04)  # to 0.04 - gripper_close_margin_m 0.02 = 0.02 m of the 0.085 m stroke
        assert gripper.target == round(255 * (1 - 0.02 / 0.085))
        assert gripper.is_closed()
        gripper.open()
        assert not gripper.is_closed()
    finally:
        gripper.disconnect()
