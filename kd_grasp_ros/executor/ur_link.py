"""The executor's connection to a UR controller through ur_rtde, with named timeouts and monitoring.

Every motion is sent asynchronously and then watched every MONITOR_PERIOD_S until it ends: a
protective stop, a stalled or dropped RTDE stream, the control program stopping or pausing, a cancel
or disarm (AttemptGuard) or the motion timeout (expected duration + motion_timeout_margin_s) each
raise the matching named exception; the executor then stops the arm with `stop_arm`, which never
raises and says how the arm was stopped. Every ur_rtde call is wrapped: its RuntimeError becomes
RobotConnectionError naming the call.
"""

from __future__ import annotations

import ctypes
import socket
import time
from collections.abc import Callable

import numpy as np

from kd_grasp_ros.executor.cancel import AttemptGuard
from kd_grasp_ros.executor.config import ExecutorConfig
from kd_grasp_ros.executor.errors import (
    ExecutorTimeoutError,
    ProtectiveStopError,
    RobotConnectionError,
    RobotStateError,
)
from kd_grasp_ros.executor.robot_frames import base_link_to_ur_pose, ur_pose_to_base_link
from kd_grasp_ros.executor.rtde_outputs import RTDEOutputWriter
from kd_grasp_ros.robot.motion import JointPath, LinearPath, Profile

RTDE_PORT, DASHBOARD_PORT = 30004, 29999
MONITOR_PERIOD_S = 0.004
RUNTIME_PLAYING = 2
RUNTIME_PAUSED = 3
SCRIPT_RESTART_TIMEOUT_S = 5.0
CONTROLLER_PROBE_TIMEOUT_S = 0.3
# ur_rtde 1.6.5 can crash the whole process (SIGSEGV) when an interface whose controller has vanished
# is disconnected or destroyed while its background thread is still failing over. Such interfaces
# are kept here, with an extra reference so that they are never destroyed either.
_ABANDONED_INTERFACES: list = []


def _call(what: str, fn, *args):
    """Run one ur_rtde call, turning its RuntimeError into RobotConnectionError naming the call."""
    try:
        return fn(*args)
    except RuntimeError as err:
        raise RobotConnectionError(f"ur_rtde {what} failed: {err}") from err


class URLink:
    """rtde_control + rtde_receive + dashboard + an RTDE output writer to one robot; monitored moves."""

    def __init__(self, cfg: ExecutorConfig):
        self.cfg = cfg
        self.control = self.receive = self.dashboard = None
        self.outputs = RTDEOutputWriter(cfg.robot_ip, cfg.connect_timeout_s)
        self._last_stamp, self._last_stamp_change = None, 0.0
        self.on_tcp_sample: Callable[[float, np.ndarray], None] | None = None

    # ---- connection --------------------------------------------------------------------------------
    def connect(self) -> None:
        """Open all interfaces; raises RobotConnectionError within connect_timeout_s if unreachable."""
        self._last_stamp, self._last_stamp_change = None, time.monotonic()
        host = self.cfg.robot_ip
        if not host:
            raise RobotConnectionError("robot_ip is empty: refusing to connect to an unnamed robot")
        for port in (DASHBOARD_PORT, RTDE_PORT):
            try:
                socket.create_connection((host, port), timeout=self.cfg.connect_timeout_s).close()
            except OSError as err:
                raise RobotConnectionError(
                    f"UR controller {host}:{port} not reachable within "
                    f"connect_timeout_s={self.cfg.connect_timeout_s} s: {err}"
                ) from err
        import dashboard_client
        import rtde_control
        import rtde_receive

        try:
            self.receive = rtde_receive.RTDEReceiveInterface(host)
            self.control = rtde_control.RTDEControlInterface(host)
            self.dashboard = dashboard_client.DashboardClient(host)
            self.dashboard.connect()
            self.outputs.connect()
        except RuntimeError as err:
            self.disconnect()
            raise RobotConnectionError(f"ur_rtde could not connect to {host}: {err}") from err
        if not _call("setTcp", self.control.setTcp, [0.0, 0.0, self.cfg.tcp_offset_m, 0.0, 0.0, 0.0]):
            self.disconnect()
            raise RobotStateError(f"setTcp on {host} was refused (is the control script running?)")

    @property
    def connected(self) -> bool:
        return self.receive is not None and self.control is not None

    def _controller_reachable(self) -> bool:
        try:
            socket.create_connection((self.cfg.robot_ip, DASHBOARD_PORT), CONTROLLER_PROBE_TIMEOUT_S).close()
            return True
        except OSError:
            return False

    def abandon_dead_interfaces(self) -> None:
        """Drop the ur_rtde interfaces of a vanished controller without ever tearing them down."""
        for name in ("control", "receive", "dashboard"):
            iface = getattr(self, name)
            if iface is not None:
                _ABANDONED_INTERFACES.append(iface)
                ctypes.pythonapi.Py_IncRef(ctypes.py_object(iface))
                setattr(self, name, None)

    def _interfaces_alive(self) -> bool:
        try:
            return bool(self.receive.isConnected()) and bool(self.control.isConnected())
        except RuntimeError:
            return False

    def disconnect(self) -> None:
        """Close every interface; never raises (each disconnect takes ~0.5 s in ur_rtde).

        Interfaces whose connection has died (the controller vanished, even if it has come back since)
        are abandoned instead of torn down (see _ABANDONED_INTERFACES).
        """
        self.outputs.close()
        if self.connected and (not self._controller_reachable() or not self._interfaces_alive()):
            self.abandon_dead_interfaces()
            return
        for name in ("control", "receive"):
            iface = getattr(self, name)
            if iface is not None:
                try:
                    if name == "control" and iface.isConnected():
                        iface.stopScript()
                    iface.disconnect()
                except RuntimeError:
                    pass
                setattr(self, name, None)
        if self.dashboard is not None:
            try:
                self.dashboard.disconnect()
            except RuntimeError:
                pass
            self.dashboard = None

    # ---- state (every ur_rtde call wrapped: a RuntimeError becomes RobotConnectionError) ------------
    def _receive(self):
        if self.receive is None:
            raise RobotConnectionError("not connected to the robot (no RTDE receive interface)")
        return self.receive

    def _control(self):
        if self.control is None:
            raise RobotConnectionError("not connected to the robot (no RTDE control interface)")
        return self.control

    def actual_q(self) -> np.ndarray:
        return np.array(_call("getActualQ", self._receive().getActualQ))

    def actual_qd(self) -> np.ndarray:
        return np.array(_call("getActualQd", self._receive().getActualQd))

    def tcp_base_link(self) -> np.ndarray:
        return ur_pose_to_base_link(_call("getActualTCPPose", self._receive().getActualTCPPose))

    def timestamp(self) -> float:
        return float(_call("getTimestamp", self._receive().getTimestamp))

    def protective_stopped(self) -> bool:
        return bool(_call("isProtectiveStopped", self._receive().isProtectiveStopped))

    def runtime_state(self) -> int:
        return int(_call("getRuntimeState", self._receive().getRuntimeState))

    def digital_output(self, bit: int) -> bool:
        return bool(
            (int(_call("getActualDigitalOutputBits", self._receive().getActualDigitalOutputBits)) >> bit) & 1
        )

    def stream_alive(self, stall_timeout_s: float | None = None, receive_only: bool = False) -> bool:
        """True while both RTDE interfaces are connected and the 500 Hz stream keeps advancing.

        Never raises. The stream counts as stalled when its timestamp has not changed for
        stall_timeout_s (default stream_stall_timeout_s), measured between calls of this method.
        receive_only: ask only the receive interface (the control interface may be busy in a call).
        """
        if stall_timeout_s is None:
            stall_timeout_s = self.cfg.stream_stall_timeout_s
        try:
            if not self.connected:
                return False
            if not _call("isConnected", self.receive.isConnected):
                return False
            if not receive_only and not _call("isConnected", self.control.isConnected):
                return False
            stamp, now = self.timestamp(), time.monotonic()
        except RobotConnectionError:
            return False
        if stamp != self._last_stamp:
            self._last_stamp, self._last_stamp_change = stamp, now
            return True
        return now - self._last_stamp_change <= stall_timeout_s

    def arm_at_rest(self, tolerance_radps: float = 1e-3) -> bool:
        """True if every joint speed is below tolerance_radps (raises RobotConnectionError if unknown)."""
        return float(np.max(np.abs(self.actual_qd()))) < tolerance_radps

    def check_ready(self) -> None:
        """Raise unless the robot can move now: connected, streaming, no protective stop, program playing.

        A paused program (an operator's pause) is never resumed here. A stopped program (an operator's
        stop, or the stop that follows a protective stop) is restarted only when
        restart_control_script is true.
        """
        if not self.stream_alive():
            raise RobotConnectionError(
                f"RTDE connection to {self.cfg.robot_ip} is down or its stream has stalled"
            )
        if self.protective_stopped():
            raise ProtectiveStopError(
                "robot is in a protective stop; clear it on the pendant (or unlock it on "
                "the dashboard) before executing"
            )
        state = self.runtime_state()
        if state == RUNTIME_PAUSED:
            raise RobotStateError(
                "the program on the controller is paused (an operator's pause?); the executor never "
                "resumes it: stop it and restart the control script, or press play on the pendant"
            )
        if state == RUNTIME_PLAYING:
            return
        if not self.cfg.restart_control_script:
            raise RobotStateError(
                "the ur_rtde control script is not running (stopped by an operator, or after a "
                "protective stop); restart it, or set restart_control_script:=true to let the "
                "executor re-upload it"
            )
        if not _call("reuploadScript", self._control().reuploadScript):
            raise RobotStateError("the ur_rtde control script is not running and could not be re-uploaded")
        deadline = time.monotonic() + SCRIPT_RESTART_TIMEOUT_S
        while self.runtime_state() != RUNTIME_PLAYING:
            if time.monotonic() > deadline:
                raise RobotStateError(
                    f"control script not running after SCRIPT_RESTART_TIMEOUT_S={SCRIPT_RESTART_TIMEOUT_S} s"
                )
            time.sleep(MONITOR_PERIOD_S)

    # ---- motion --------------------------------------------------------------------------------------
    def move_j(self, q, speed: float, accel: float, phase: str, guard: AttemptGuard) -> None:
        q = np.asarray(q, dtype=float)
        expected = Profile.trapezoid(JointPath(self.actual_q(), q).length, speed, accel).duration
        guard.check(phase)
        ok = _call("moveJ", self._control().moveJ, list(q), speed, accel, True)
        self._after_send(ok, phase)
        self._watch(phase, expected, lambda: float(np.max(np.abs(self.actual_q() - q))) < 1e-3, guard)

    def move_l(
        self, tcp_base_link: np.ndarray, speed: float, accel: float, phase: str, guard: AttemptGuard
    ) -> None:
        start = self.tcp_base_link()
        expected = Profile.trapezoid(
            LinearPath(start, tcp_base_link, np.eye(4)).length, speed, accel
        ).duration
        guard.check(phase)
        ok = _call("moveL", self._control().moveL, base_link_to_ur_pose(tcp_base_link), speed, accel, True)
        self._after_send(ok, phase)
        tol = self.cfg.arrival_tolerance_m
        self._watch(
            phase,
            expected,
            lambda: float(np.linalg.norm(self.tcp_base_link()[:3, 3] - tcp_base_link[:3, 3])) < tol,
            guard,
        )

    def _after_send(self, ok: bool, phase: str) -> None:
        if ok:
            return
        if self.protective_stopped():
            raise ProtectiveStopError(f"{phase}: protective stop, the controller refused the motion")
        raise RobotStateError(f"{phase}: the controller refused the motion (control script not running?)")

    def stop_arm(self, joint: bool) -> str:
        """Stop any motion now and say how; never raises.

        stopJ/stopL (at stop_deceleration) through the control script; if that fails, the dashboard's
        `stop` (halts the program and the arm). A protective stop has already halted the arm. A
        controller that does not answer on its dashboard port is not sent anything: ur_rtde 1.6.5 can
        crash the process (SIGSEGV) when a control interface whose controller vanished is used.
        """
        if not self._controller_reachable():
            return (
                f"STOP FAILED: the controller {self.cfg.robot_ip} does not answer (connection lost); "
                "nothing could be sent to it"
            )
        failures = []
        try:
            if self.protective_stopped():
                return "the controller's protective stop halted the arm"
        except RobotConnectionError as err:
            failures.append(str(err))
        name = "stopJ" if joint else "stopL"
        try:
            control = self._control()
            if not _call("isConnected", control.isConnected):
                raise RobotConnectionError("the RTDE control interface is disconnected")
            _call(name, control.stopJ if joint else control.stopL, self.cfg.stop_deceleration, False)
            return f"arm stopped with {name}"
        except RobotConnectionError as err:
            failures.append(f"{name}: {err}")
        try:
            if self.dashboard is None:
                raise RobotConnectionError("no dashboard connection")
            _call("dashboard stop", self.dashboard.stop)
            return f"arm stopped with the dashboard's stop ({'; '.join(failures)})"
        except RobotConnectionError as err:
            failures.append(f"dashboard stop: {err}")
        return "STOP FAILED: " + "; ".join(failures)

    def _watch(self, phase: str, expected_s: float, arrived: Callable[[], bool], guard: AttemptGuard) -> None:
        """Wait for the motion to end; raises (without stopping: the caller stops the arm) on any fault."""
        timeout = expected_s + self.cfg.motion_timeout_margin_s
        t_start = time.monotonic()
        last_stamp, last_change = self.timestamp(), t_start
        receive, control = self._receive(), self._control()
        while True:
            time.sleep(MONITOR_PERIOD_S)
            guard.check(phase)
            now = time.monotonic()
            stamp = self.timestamp()
            if stamp != last_stamp:
                last_stamp, last_change = stamp, now
                if self.on_tcp_sample is not None:
                    self.on_tcp_sample(stamp, self.tcp_base_link())
            stalled = now - last_change > self.cfg.stream_stall_timeout_s
            if stalled or not _call("isConnected", receive.isConnected):
                raise RobotConnectionError(
                    f"{phase}: RTDE stream from {self.cfg.robot_ip} stopped for more than "
                    f"stream_stall_timeout_s={self.cfg.stream_stall_timeout_s} s"
                )
            if self.protective_stopped():
                raise ProtectiveStopError(f"{phase}: the robot went into a protective stop; attempt aborted")
            state = self.runtime_state()
            if state != RUNTIME_PLAYING:
                if self.protective_stopped():  # a protective stop also stops the program: name the cause
                    raise ProtectiveStopError(f"{phase}: the robot went into a protective stop; aborted")
                what = "was paused" if state == RUNTIME_PAUSED else "stopped"
                raise RobotStateError(f"{phase}: the control program {what} during the motion")
            if now - t_start > timeout:
                raise ExecutorTimeoutError(
                    f"{phase}: motion not finished within {timeout:.2f} s (expected "
                    f"{expected_s:.2f} s + motion_timeout_margin_s)"
                )
            if _call("getAsyncOperationProgress", control.getAsyncOperationProgress) < 0 and arrived():
                return
