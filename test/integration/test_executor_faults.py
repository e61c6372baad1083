"""Fault injection: every fault stops the arm and is reported, and nothing moves after it.

The executor drives the emulated controller (its own process) through the unmodified ur_rtde client.
Each case injects one fault at a recorded instant and then reads the controller's event log
(fault_injection.record_fault): no motion may start after the fault, and the stop latency (fault ->
stop request, fault -> arm at rest) is recorded. Faults that are ROS ones (cancel and deactivate
services, parameter changes, grasp stamps, a controller that dies and comes back, Robotiq
activation) go through ur_executor_node in test_executor_node_faults.py.

    KD_GRASP_FAULT_REPORT=docs/results/faults.json python -m pytest \
        test/integration/test_executor_faults.py test/integration/test_executor_node_faults.py
    .venv/bin/python scripts/update_readme_results.py   # -> docs/results/faults.md
"""

import time

import numpy as np
import pytest
from executor_test_helpers import FAST_MOTION, camera_grasp
from fault_injection import PhaseTrigger, record_fault
from ros_helpers import wait_until

from kd_grasp_ros.executor.cancel import AttemptGuard, CancelToken
from kd_grasp_ros.executor.config import ExecutorConfig
from kd_grasp_ros.executor.errors import (
    ExecutionCancelledError,
    ExecutorError,
    ProtectiveStopError,
    RobotConnectionError,
    RobotStateError,
)
from kd_grasp_ros.executor.executor import GraspExecutor
from kd_grasp_ros.robot.emulator_process import EmulatorProcess

pytest.importorskip("rtde_control")

WAIT_S = 10.0
GRASP = [0.05, 0.02, 0.9]  # camera frame; -> (0.65, -0.02, 0.10) in base_link
# A long, slow approach (0.25 m at 0.25 m/s, about 1.2 s) so that faults land mid-motion on a busy machine.
CONFIG = {
    **FAST_MOTION,
    "dry_run": False,
    "approach_offset_m": 0.25,
    "linear_speed_mps": 0.25,
    "restart_control_script": True,
    "max_grasp_age_s": 30.0,
}  # stamps are not what these test
MOTION_PHASES = {"pre_grasp": True, "approach": True, "lift": True, "home": True, "close": False}


@pytest.fixture
def executor(emulator):
    """A connected, armed executor; afterwards the controller is brought back to a usable state."""
    ex = GraspExecutor(ExecutorConfig(robot_ip=emulator.host, **CONFIG))
    ex.connect()
    yield ex
    if "PROTECTIVE" in emulator.dashboard("safetystatus"):
        emulator.dashboard("unlock protective stop")
    ex.disconnect()


def run_with_fault(executor, emulator, phase: str, inject, guard=None, expect=ExecutorError, **cfg):
    """One attempt with `inject()` fired mid-`phase`; returns (error, t_fault)."""
    if cfg:
        executor.update_config(ExecutorConfig(**{**executor.cfg.__dict__, **cfg}))
    trigger = PhaseTrigger(phase, inject, emulator, executor.link, MOTION_PHASES[phase])
    executor.on_phase = trigger
    with pytest.raises(expect) as err:
        executor.execute(camera_grasp(GRASP), guard)
    assert trigger.fired.wait(WAIT_S)
    return err.value, trigger.t_fault


def assert_stopped_with_nothing_after(fault: str, emulator, executor, t_fault: float, err) -> None:
    rec = record_fault(fault, emulator, t_fault)
    assert rec.motions_after == 0, f"{fault}: {rec}"
    assert err.report.outcome == "aborted" and err.report.phases[-1].status == "aborted"
    q = executor.link.actual_q()
    time.sleep(0.1)
    np.testing.assert_allclose(executor.link.actual_q(), q, atol=1e-9)  # at rest and staying there


@pytest.mark.timeout(60)
def test_cancel_during_planning_moves_nothing(emulator):
    token = CancelToken()
    t = {}

    def clock():  # the executor reads its clock while it checks the grasp: cancel right then
        if not token.cancelled:
            t["fault"] = time.monotonic()
            token.cancel("cancel during planning")
        return time.time()

    ex = GraspExecutor(ExecutorConfig(robot_ip=emulator.host, **CONFIG), clock=clock)
    ex.connect()
    try:
        with pytest.raises(ExecutionCancelledError, match="cancel during planning"):
            ex.execute(camera_grasp(GRASP), AttemptGuard(token))
        rec = record_fault("cancel during planning", emulator, t["fault"])
        assert rec.motions_after == 0 and rec.at_rest_ms is None  # nothing ever moved
    finally:
        ex.disconnect()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("phase", ["pre_grasp", "approach", "close", "lift", "home"])
def test_cancel_in_each_phase_stops_the_arm(emulator, executor, phase):
    token = CancelToken()
    err, t_fault = run_with_fault(
        executor,
        emulator,
        phase,
        lambda: token.cancel("operator"),
        AttemptGuard(token),
        ExecutionCancelledError,
        return_home=True,
        gripper_settle_s=0.5,
    )
    assert err.report.phases[-1].phase == phase
    assert "stopped with stop" in str(err)  # the message says how the arm was stopped
    assert_stopped_with_nothing_after(
        f"cancel during {'gripper step' if phase == 'close' else 'motion'}", emulator, executor, t_fault, err
    )


@pytest.mark.timeout(60)
def test_disarm_mid_motion_stops_the_arm(emulator, executor):
    armed = {"on": True}
    err, t_fault = run_with_fault(
        executor,
        emulator,
        "approach",
        lambda: armed.update(on=False),
        AttemptGuard(armed=lambda: armed["on"]),
        ExecutionCancelledError,
    )
    assert "disarmed" in str(err)
    assert_stopped_with_nothing_after("disarmed mid-motion", emulator, executor, t_fault, err)


@pytest.mark.timeout(60)
def test_protective_stop_mid_motion(emulator, executor):
    err, t_fault = run_with_fault(
        executor,
        emulator,
        "approach",
        lambda: emulator.dashboard("emulator protective stop"),
        expect=ProtectiveStopError,
    )
    assert "protective stop halted the arm" in str(err)
    assert_stopped_with_nothing_after("protective stop", emulator, executor, t_fault, err)
    t_retry = time.monotonic()
    with pytest.raises(ProtectiveStopError):  # still latched: the next attempt is refused
        executor.execute(camera_grasp(GRASP))
    assert record_fault("protective stop (retry refused)", emulator, t_retry).motions_after == 0


@pytest.mark.timeout(60)
def test_stalled_rtde_stream_stops_the_arm(emulator, executor):
    err, t_fault = run_with_fault(
        executor,
        emulator,
        "approach",
        lambda: emulator.dashboard("emulator stall stream 1.5"),
        expect=RobotConnectionError,
    )
    assert "stream" in str(err) and "arm stopped with stopL" in str(err)
    time.sleep(1.5)  # the stream comes back
    assert_stopped_with_nothing_after("RTDE stream stalled", emulator, executor, t_fault, err)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("operator", ["pause", "stop"])
def test_operator_pause_or_stop_is_respected(emulator, executor, operator):
    err, t_fault = run_with_fault(
        executor,
        emulator,
        "approach",
        lambda: emulator.dashboard(operator),
        expect=RobotStateError,
        restart_control_script=False,
    )
    assert ("paused" if operator == "pause" else "stopped") in str(err)
    assert_stopped_with_nothing_after(f"operator {operator} (dashboard)", emulator, executor, t_fault, err)
    t_retry = time.monotonic()
    with pytest.raises(RobotStateError, match="paused" if operator == "pause" else "not running"):
        executor.execute(camera_grasp(GRASP))  # the executor does not restart the program itself
    assert record_fault(f"operator {operator}: retry refused", emulator, t_retry).motions_after == 0
    emulator.dashboard("stop")


class FailingCall:
    """The real ur_rtde interface, except that one named call raises once `armed` is set."""

    def __init__(self, real, name: str):
        self._real, self._name, self.armed = real, name, False

    def __getattr__(self, attr):
        if attr == self._name and self.armed:

            def fail(*args):
                raise RuntimeError(f"injected failure of {attr}")

            return fail
        return getattr(self._real, attr)


RECEIVE_CALLS = [
    "getTimestamp",
    "isConnected",
    "isProtectiveStopped",
    "getRuntimeState",
    "getActualQ",
    "getActualTCPPose",
]
CONTROL_CALLS = ["getAsyncOperationProgress"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("call", RECEIVE_CALLS + CONTROL_CALLS)
def test_each_ur_rtde_call_raising_stops_the_arm_with_a_named_error(emulator, executor, call):
    which = "control" if call in CONTROL_CALLS else "receive"
    proxy = FailingCall(getattr(executor.link, which), call)
    setattr(executor.link, which, proxy)
    phase = "pre_grasp" if call == "getActualQ" else "approach"  # joint moves watch getActualQ
    err, t_fault = run_with_fault(
        executor, emulator, phase, lambda: setattr(proxy, "armed", True), expect=RobotConnectionError
    )
    assert f"ur_rtde {call} failed" in str(err) and "arm stopped" in str(err)
    proxy.armed = False
    assert_stopped_with_nothing_after("a ur_rtde call raising", emulator, executor, t_fault, err)


@pytest.mark.timeout(60)
def test_unexpected_exception_in_the_worker_stops_the_arm(emulator, executor):
    """Not a ur_rtde failure: a bug (here a callback raising) still stops the arm and is named."""
    t = {}

    def broken_callback(result):
        if result.phase == "approach" and result.status == "done":
            t["bug"] = time.monotonic()
            raise ZeroDivisionError("a bug")

    executor.on_phase = broken_callback
    with pytest.raises(ExecutorError, match="unexpected ZeroDivisionError: a bug; arm stopped") as err:
        executor.execute(camera_grasp(GRASP))
    assert err.value.report.outcome == "aborted"
    assert record_fault("unexpected exception", emulator, t["bug"]).motions_after == 0


@pytest.mark.timeout(60)
def test_controller_killed_mid_motion_is_reported_within_the_stall_timeout():
    emu = EmulatorProcess().start()
    ex = GraspExecutor(ExecutorConfig(robot_ip=emu.host, **CONFIG))
    ex.connect()
    trigger = PhaseTrigger("approach", emu.kill, emu, ex.link, motion=True)
    ex.on_phase = trigger
    try:
        with pytest.raises(RobotConnectionError) as err:
            ex.execute(camera_grasp(GRASP))
        assert trigger.fired.wait(WAIT_S)
        assert time.monotonic() - trigger.t_fault < ex.cfg.stream_stall_timeout_s + 0.5
        assert "STOP FAILED" in str(err.value) or "stopped" in str(err.value)  # says what it could do
        wait_until(lambda: not ex.link.stream_alive(), WAIT_S, "the link to report the loss")
    finally:
        ex.disconnect()
