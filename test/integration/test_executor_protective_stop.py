"""A protective stop by the controller's safety plane, then the controller lost mid-motion: GraspExecutor
through the unmodified ur_rtde client reports both by name and moves nothing after them."""

import threading
import time

import pytest
from executor_test_helpers import camera_grasp
from ros_helpers import wait_until
from test_executor_robot import WAIT_S, make_executor

from kd_grasp_ros.executor.errors import ProtectiveStopError, RobotConnectionError

pytest.importorskip("rtde_control")

EMULATOR_ARGS = ["--safety-plane-z", "0.15"]  # protective stop when the TCP goes below z = 0.15 m


@pytest.mark.timeout(60)
def test_safety_plane_protective_stop_then_connection_loss_is_reported(emulator):
    ex = make_executor(emulator.host, restart_control_script=True)
    try:
        with pytest.raises(ProtectiveStopError):  # the grasp at z = 0.1 crosses the plane during approach
            ex.execute(camera_grasp([0.05, 0.02, 0.9]))
        z_stop = ex.link.tcp_base_link()[2, 3]
        assert 0.12 < z_stop < 0.15  # halted by the controller just past the plane, not snapped onto it
        emulator.dashboard("unlock protective stop")
        wait_until(lambda: not ex.link.protective_stopped(), WAIT_S, "the unlock to reach rtde_receive")

        def on_phase(result):
            if result.phase == "pre_grasp" and result.status == "started":
                threading.Timer(0.3, emulator.kill).start()

        ex.on_phase = on_phase
        t0 = time.monotonic()
        with pytest.raises(RobotConnectionError, match="stream"):
            ex.execute(camera_grasp([0.05, 0.02, 0.75]))  # at z = 0.25, above the plane
        assert time.monotonic() - t0 < WAIT_S
        assert ex.link.protective_stopped() is False
    finally:
        ex.disconnect()
