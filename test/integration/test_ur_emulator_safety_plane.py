"""The emulated controller behaves like a UR where the executor's safety depends on it: crossing the
safety plane raises a protective stop in that cycle and the arm halts where it is (the pose is not
snapped back onto the plane, so executor tests see real overshoot), and a control-script command it
does not emulate is refused (the script stops) instead of being acknowledged. The register
interface the RTDE server feeds is driven directly."""

import io
import time

import numpy as np
import pytest

from kd_grasp_ros.common.transforms import transform_to_pose
from kd_grasp_ros.robot import kinematics
from kd_grasp_ros.robot.emulated_controller import (
    CMD_MOVEL,
    RUNTIME_STOPPED,
    SAFETY_MODE_PROTECTIVE_STOP,
    EmulatedController,
)
from kd_grasp_ros.robot.motion import KinematicArm
from kd_grasp_ros.robot.ur10e_params import HOME_Q

DROP_M, PLANE_BELOW_START_M = 0.2, 0.05
SPEED_MPS, ACCEL_MPS2 = 0.25, 1.2
LONG_CYCLE_S = 0.6  # the motion would be ~0.1 m below the plane by then


def tcp_z(controller: EmulatedController) -> float:
    return float(kinematics.forward(controller.body.read_q())[2, 3])


def test_a_late_cycle_protective_stops_where_the_arm_is_without_snapping_it_back():
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
    motion = controller.motion
    controller.step()
    expected_q, _ = motion.sample(controller.last_step_t, np.asarray(HOME_Q, dtype=float))
    assert controller.safety_mode == SAFETY_MODE_PROTECTIVE_STOP
    assert "safety plane" in controller.protective_stop_reason
    z_stop = tcp_z(controller)
    assert z_stop < plane_z - 0.05  # the late cycle's overshoot stays visible
    np.testing.assert_allclose(controller.body.read_q(), expected_q, atol=1e-6)  # where the motion got
    assert [kind for _, kind, _ in controller.events][-2:] == ["protective_stop", "at_rest"]
    controller.step()  # stopped: no further motion
    assert tcp_z(controller) == pytest.approx(z_stop, abs=1e-9)


def test_a_command_the_emulator_does_not_emulate_is_refused_and_stops_the_script():
    controller = EmulatedController(KinematicArm(HOME_Q), log=io.StringIO())
    controller.load_script("rtde_control")
    controller.write_inputs({"input_int_register_0": 17, "input_int_register_1": 0}, command_offset=0)
    assert controller.runtime_state == RUNTIME_STOPPED  # the client's call fails: not "done"
    assert controller.out_int[0] == 0
    assert controller.events[-1][1:] == ("refused", "command id 17")
    assert "not emulated: refused" in controller.log.getvalue()
