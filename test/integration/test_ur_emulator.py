"""The unmodified ur_rtde client (receive, control, io, dashboard) against the emulated controller.

One emulator process per module on its own loopback address; the clients are shared by the tests
in order (ur_rtde disconnects take ~0.5 s each).
"""

import socket
import time

import numpy as np
import pytest
from ros_helpers import wait_until

from kd_grasp_ros.common.transforms import pose_to_transform
from kd_grasp_ros.robot import kinematics
from kd_grasp_ros.robot.ur10e_params import HOME_Q

rtde_control = pytest.importorskip("rtde_control")
rtde_receive = pytest.importorskip("rtde_receive")
rtde_io = pytest.importorskip("rtde_io")
dashboard_client = pytest.importorskip("dashboard_client")

WAIT_S = 5.0
TOOL0_BIT, STANDARD3_BIT = 16, 3


@pytest.fixture(scope="module")
def clients(emulator):
    receive = rtde_receive.RTDEReceiveInterface(emulator.host)
    control = rtde_control.RTDEControlInterface(emulator.host)
    io = rtde_io.RTDEIOInterface(emulator.host)
    dashboard = dashboard_client.DashboardClient(emulator.host)
    dashboard.connect()
    yield receive, control, io, dashboard
    control.stopScript()
    for iface in (control, io, receive, dashboard):
        iface.disconnect()


@pytest.mark.timeout(30)
def test_receive_streams_the_robot_state(clients):
    receive, control, _, _ = clients
    np.testing.assert_allclose(receive.getActualQ(), HOME_Q, atol=1e-9)
    np.testing.assert_allclose(
        pose_to_transform(receive.getActualTCPPose()), kinematics.forward(HOME_Q), atol=1e-9
    )
    assert receive.getRobotMode() == 7 and receive.getSafetyMode() == 1
    assert receive.getRuntimeState() == 2 and control.isProgramRunning()
    first = receive.getTimestamp()
    wait_until(lambda: receive.getTimestamp() > first + 0.05, WAIT_S, "the RTDE stream to advance")
    assert receive.isConnected()


@pytest.mark.timeout(30)
def test_movej_and_movel_reach_their_targets(clients):
    receive, control, _, _ = clients
    target_q = [0.2, -1.4, 1.6, -1.8, -1.5, 0.3]
    assert control.moveJ(target_q, 2.0, 6.0)  # synchronous: returns when the controller is done
    # rtde_receive is a separate connection: it may be one 2 ms sample behind rtde_control.
    wait_until(lambda: np.allclose(receive.getActualQ(), target_q, atol=1e-9), WAIT_S, "joints at target")
    pose = receive.getActualTCPPose()
    target = [pose[0] + 0.05, pose[1] - 0.04, pose[2] - 0.10, *pose[3:]]
    assert control.moveL(target, 0.8, 3.0)
    wait_until(
        lambda: np.allclose(receive.getActualTCPPose()[:3], target[:3], atol=1e-6), WAIT_S, "TCP at target"
    )
    np.testing.assert_allclose(
        pose_to_transform(receive.getActualTCPPose()), pose_to_transform(target), atol=1e-6
    )
    assert control.getAsyncOperationProgress() < 0


@pytest.mark.timeout(30)
def test_async_movel_reports_progress_and_stopl_halts_it(clients):
    receive, control, _, _ = clients
    start = np.array(receive.getActualTCPPose())
    target = list(start + [0.0, 0.0, 0.3, 0.0, 0.0, 0.0])
    assert control.moveL(target, 0.1, 0.5, True)  # 3 s at 0.1 m/s
    assert control.getAsyncOperationProgress() >= 0
    wait_until(lambda: receive.getActualTCPPose()[2] > start[2] + 0.01, WAIT_S, "the TCP to rise")
    control.stopL(2.0)
    wait_until(lambda: control.getAsyncOperationProgress() < 0, WAIT_S, "the async operation to end")
    stopped = receive.getActualTCPPose()[2]
    assert start[2] + 0.01 < stopped < target[2] - 0.1
    time.sleep(0.1)
    assert receive.getActualTCPPose()[2] == pytest.approx(stopped, abs=1e-9)


@pytest.mark.timeout(30)
def test_async_movej_stops_with_stopj(clients):
    receive, control, _, _ = clients
    start = np.array(receive.getActualQ())
    assert control.moveJ(list(start + [0.8, 0, 0, 0, 0, 0]), 0.3, 1.0, True)
    wait_until(lambda: receive.getActualQ()[0] > start[0] + 0.02, WAIT_S, "the base joint to turn")
    control.stopJ(3.0)
    wait_until(lambda: control.getAsyncOperationProgress() < 0, WAIT_S, "the async operation to end")
    stopped = receive.getActualQ()[0]
    assert start[0] + 0.02 < stopped < start[0] + 0.5
    assert control.moveJ(list(start), 2.0, 6.0)


@pytest.mark.timeout(30)
def test_digital_outputs_are_reflected_in_the_state_bits(clients):
    receive, _, io, _ = clients
    assert io.setToolDigitalOut(0, True) and io.setStandardDigitalOut(3, True)
    wait_until(
        lambda: receive.getDigitalOutState(TOOL0_BIT) and receive.getDigitalOutState(STANDARD3_BIT),
        WAIT_S,
        "output bits 16 and 3",
    )
    assert io.setToolDigitalOut(0, False)
    wait_until(lambda: not receive.getDigitalOutState(TOOL0_BIT), WAIT_S, "tool output 0 to clear")
    assert receive.getActualDigitalOutputBits() == 1 << STANDARD3_BIT


@pytest.mark.timeout(30)
def test_set_tcp_moves_the_reported_tcp(clients):
    receive, control, _, _ = clients
    q = np.array(receive.getActualQ())
    assert control.setTcp([0.0, 0.0, 0.2, 0.0, 0.0, 0.0])
    wait_until(
        lambda: np.allclose(
            receive.getActualTCPPose()[:3],
            (kinematics.forward(q) @ pose_to_transform([0, 0, 0.2, 0, 0, 0]))[:3, 3],
        ),
        WAIT_S,
        "the TCP pose to include the offset",
    )
    assert control.setTcp([0.0] * 6)


@pytest.mark.timeout(30)
def test_dashboard_and_protective_stop_block_motion_until_unlocked(emulator, clients):
    receive, control, _, dashboard = clients
    assert "5.11" in dashboard.polyscopeVersion()
    assert dashboard.robotmode() == "Robotmode: RUNNING"
    assert dashboard.running() and dashboard.isInRemoteControl()
    before = emulator.motions_started()
    q = receive.getActualQ()
    assert emulator.dashboard("emulator protective stop") == "Protective stop triggered"
    wait_until(receive.isProtectiveStopped, WAIT_S, "the protective stop in the stream")
    assert dashboard.safetystatus() == "Safetystatus: PROTECTIVE_STOP"
    assert not control.moveJ(list(HOME_Q), 1.0, 2.0)  # refused, nothing moves
    assert emulator.motions_started() == before
    np.testing.assert_allclose(receive.getActualQ(), q, atol=1e-12)
    dashboard.unlockProtectiveStop()
    wait_until(lambda: not receive.isProtectiveStopped(), WAIT_S, "the protective stop to clear")
    assert control.reuploadScript()
    wait_until(control.isProgramRunning, WAIT_S, "the control script to run again")
    assert control.moveJ(list(HOME_Q), 2.0, 6.0)
    wait_until(lambda: np.allclose(receive.getActualQ(), HOME_Q, atol=1e-9), WAIT_S, "joints at home")
    dashboard.stop()
    wait_until(lambda: not control.isProgramRunning(), WAIT_S, "dashboard stop to end the program")
    dashboard.play()
    wait_until(control.isProgramRunning, WAIT_S, "dashboard play to restart the program")


@pytest.mark.timeout(30)
def test_robotiq_socket_answers_get_and_set(emulator):
    with socket.create_connection((emulator.host, 63352), timeout=WAIT_S) as sock:
        stream = sock.makefile("rwb", buffering=0)

        def ask(line):
            stream.write((line + "\n").encode())
            return stream.readline().decode().strip()

        assert ask("SET ACT 1") == "ack" and ask("GET ACT") == "ACT 1"
        assert ask("SET POS 255 GTO 1") == "ack"
        wait_until(lambda: ask("GET POS") == "POS 255", WAIT_S, "the fingers to close")
        assert ask("GET OBJ") == "OBJ 3"


@pytest.mark.timeout(30)
def test_upper_range_registers_flag_moves_the_handshake_to_register_24(emulator, clients):
    receive = clients[0]
    flags = rtde_control.RTDEControlInterface.FLAG_UPPER_RANGE_REGISTERS
    flags |= rtde_control.RTDEControlInterface.FLAG_UPLOAD_SCRIPT
    control = rtde_control.RTDEControlInterface(emulator.host, 500.0, flags)  # replaces the running script
    try:
        target = np.array(receive.getActualQ()) + [0.2, 0, 0, 0, 0, 0]
        assert control.moveJ(list(target), 1.0, 4.0, True)
        assert control.getAsyncOperationProgress() >= 0  # read from output_int_register_26
        wait_until(lambda: np.allclose(receive.getActualQ(), target, atol=1e-9), WAIT_S, "joints at target")
        wait_until(lambda: control.getAsyncOperationProgress() < 0, WAIT_S, "the async operation to end")
    finally:
        control.stopScript()
        control.disconnect()
