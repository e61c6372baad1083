"""The emulated controller's safety plane stops the TCP where it reached the plane, however late the
controller's next cycle comes (a loaded machine): the register interface the RTDE server feeds is
driven directly, with one long cycle."""
import io
import time

import numpy as np
import pytest

from kd_grasp_ros.common.transforms import transform_to_pose
from kd_grasp_ros.robot import kinematics
from kd_grasp_ros.robot.emulated_controller import CMD_MOVEL, SAFETY_MODE_PROTECTIVE_STOP, EmulatedController
from kd_grasp_ros.robot.motion import KinematicArm
from kd_grasp_ros.robot.ur10e_params import HOME_Q

DROP_M, PLANE_BELOW_START_M = 0.2, 0.05
SPEED_MPS, ACCEL_MPS2 = 0.25, 1.2
LONG_CYCLE_S = 0.6  # the motion would be ~0.1 m below the plane by then


def tcp_z(controller: EmulatedController) -> float:
    return float(kinematics.forward(controller.body.read_q())[2, 3])


def test_a_late_cycle_stops_the_tcp_at_the_plane_not_below_it():
    start = kinematics.forward(np.asarray(HOME_Q, dtype=float))
    plane_z = float(start[2, 3]) - PLANE_BELOW_START_M
    controller = EmulatedController(KinematicArm(HOME_Q), safety_plane_z=plane_z, log=io.StringIO())
    controller.load_script("rtde_control")
    controller.step()  # the first cycle: TCP above the plane
    target = start.copy()
    target[2, 3] -= DROP_M
    registers = {"input_int_register_0": CMD_MOVEL, "input_int_register_1": 1}  # asynchronous moveL
    registers.update({f"input_double_register_{i}": v for i, v in enumerate(transform_to_pose(target))})
    registers.update({"input_double_register_6": SPEED_MPS, "input_double_register_7": ACCEL_MPS2})
    controller.write_inputs(registers, command_offset=0)
    time.sleep(LONG_CYCLE_S)
    controller.step()
    assert controller.safety_mode == SAFETY_MODE_PROTECTIVE_STOP
    assert "safety plane" in controller.protective_stop_reason
    assert tcp_z(controller) == pytest.approx(plane_z, abs=1e-5)
    controller.step()  # stopped: no further motion
    assert tcp_z(controller) == pytest.approx(plane_z, abs=1e-5)
