"""Gripper drivers: a tool digital output, a standard digital output, or a Robotiq URCap socket.

Each driver opens/closes and confirms the command (the output bit read back over RTDE, or the
Robotiq position) within gripper_timeout_s, then waits gripper_settle_s for the jaws; every wait checks
the attempt's guard, so a cancel or disarm during a gripper step is seen within POLL_PERIOD_S.
Robotiq positions: 0 = open, 255 = closed; a width is mapped linearly over the stroke and the gripper
closes to (width - gripper_close_margin_m). The Robotiq is activated (its fingers cycle) only by
`activate()`, which the executor calls when it is armed with dry_run false, never at connect.
A digital gripper has two states: it always closes fully.
"""

from __future__ import annotations

import socket
import time

from kd_grasp_ros.executor.cancel import AttemptGuard
from kd_grasp_ros.executor.config import ExecutorConfig
from kd_grasp_ros.executor.errors import ExecutorTimeoutError, RobotConnectionError, RobotStateError
from kd_grasp_ros.executor.ur_link import URLink

TOOL_OUTPUT_FIRST_BIT = 16  # tool outputs sit at bits 16-17 of actual_digital_output_bits
POLL_PERIOD_S = 0.01
ROBOTIQ_MAX_POSITION = 255
ROBOTIQ_ACTIVATED_STATUS = 3  # gSTA: activation completed


def _wait(guard: AttemptGuard | None, phase: str, seconds: float) -> None:
    """Sleep `seconds` in POLL_PERIOD_S slices, raising as soon as the guard says stop."""
    deadline = time.monotonic() + seconds
    while True:
        if guard is not None:
            guard.check(phase)
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(POLL_PERIOD_S, left))


class DigitalOutputGripper:
    """A gripper switched by one digital output (tool or standard), confirmed over rtde_receive."""

    def __init__(self, link: URLink, cfg: ExecutorConfig, tool: bool):
        self.link, self.cfg, self.tool = link, cfg, tool
        self.bit = (TOOL_OUTPUT_FIRST_BIT if tool else 0) + cfg.gripper_output

    def _set(self, level: bool, guard: AttemptGuard | None, phase: str) -> None:
        if guard is not None:
            guard.check(phase)
        self.link.outputs.set_output("tool" if self.tool else "standard", self.cfg.gripper_output, level)
        deadline = time.monotonic() + self.cfg.gripper_timeout_s
        while self.link.digital_output(self.bit) != level:
            if time.monotonic() > deadline:
                raise ExecutorTimeoutError(
                    f"gripper output bit {self.bit} not {level} within "
                    f"gripper_timeout_s={self.cfg.gripper_timeout_s} s"
                )
            _wait(guard, phase, POLL_PERIOD_S)
        _wait(guard, phase, self.cfg.gripper_settle_s)

    def activate(self) -> None:
        """Nothing to activate: a digital output is ready as soon as the link is."""

    def close(self, width_m: float, guard: AttemptGuard | None = None, phase: str = "close") -> None:
        self._set(self.cfg.gripper_close_level, guard, phase)

    def open(self, guard: AttemptGuard | None = None, phase: str = "open") -> None:
        self._set(not self.cfg.gripper_close_level, guard, phase)

    def is_closed(self) -> bool:
        return self.link.digital_output(self.bit) == self.cfg.gripper_close_level

    def disconnect(self) -> None:
        """Nothing of its own to close (it writes through the link's RTDE output client)."""


class RobotiqSocketGripper:
    """A Robotiq gripper through the URCap's ASCII socket (port 63352): SET/GET lines."""

    def __init__(self, cfg: ExecutorConfig):
        self.cfg = cfg
        self.sock: socket.socket | None = None
        self.stream = None
        self.target = 0
        self.activated = False

    def connect(self) -> None:
        try:
            self.sock = socket.create_connection(
                (self.cfg.robot_ip, self.cfg.robotiq_port), timeout=self.cfg.connect_timeout_s
            )
        except OSError as err:
            raise RobotConnectionError(
                f"Robotiq socket {self.cfg.robot_ip}:{self.cfg.robotiq_port} not reachable "
                f"within connect_timeout_s={self.cfg.connect_timeout_s} s: {err}"
            ) from err
        self.sock.settimeout(self.cfg.gripper_timeout_s)
        self.stream = self.sock.makefile("rwb", buffering=0)
        self.activated = False

    def activate(self) -> None:
        """Activate the gripper (its fingers open and close once); waits for gSTA = 3."""
        if self.activated:
            return
        if self.stream is None:
            raise RobotConnectionError("Robotiq socket is not connected")
        self._command("SET ACT 1")
        self._command("SET GTO 1")
        deadline = time.monotonic() + self.cfg.gripper_timeout_s
        while self._get("STA") != ROBOTIQ_ACTIVATED_STATUS:
            if time.monotonic() > deadline:
                raise ExecutorTimeoutError(
                    f"Robotiq not activated within gripper_timeout_s={self.cfg.gripper_timeout_s} s"
                )
            time.sleep(POLL_PERIOD_S)
        self.activated = True

    def _command(self, line: str) -> str:
        try:
            self.stream.write((line + "\n").encode())
            reply = self.stream.readline().decode().strip()
        except OSError as err:
            raise RobotConnectionError(f"Robotiq socket failed on '{line}': {err}") from err
        if not reply:
            raise RobotConnectionError(f"Robotiq socket closed after '{line}'")
        return reply

    def _get(self, var: str) -> int:
        reply = self._command(f"GET {var}").split()
        if len(reply) != 2 or reply[0] != var:
            raise RobotConnectionError(f"Robotiq answered {reply!r} to GET {var}")
        return int(reply[1])

    def position_for_width(self, width_m: float) -> int:
        """The Robotiq position (0 open .. 255 closed) for jaws `width_m` apart, linear over the stroke."""
        stroke = self.cfg.stroke_m
        opening = min(max(width_m, 0.0), stroke)
        return int(round(ROBOTIQ_MAX_POSITION * (1.0 - opening / stroke)))

    def _go(self, position: int, guard: AttemptGuard | None, phase: str) -> None:
        if not self.activated:
            raise RobotStateError("the Robotiq gripper is not activated (the executor activates it armed)")
        if guard is not None:
            guard.check(phase)
        self.target = position
        if self._command(f"SET POS {position}") != "ack":
            raise RobotConnectionError(f"Robotiq did not acknowledge SET POS {position}")
        deadline = time.monotonic() + self.cfg.gripper_timeout_s
        while self._get("OBJ") == 0:  # 0 = fingers still moving
            if time.monotonic() > deadline:
                raise ExecutorTimeoutError(
                    f"Robotiq still moving after gripper_timeout_s={self.cfg.gripper_timeout_s} s"
                )
            _wait(guard, phase, POLL_PERIOD_S)
        _wait(guard, phase, self.cfg.gripper_settle_s)

    def close(self, width_m: float, guard: AttemptGuard | None = None, phase: str = "close") -> None:
        """Close to width_m - gripper_close_margin_m (the fingers stop early on the object: OBJ 2)."""
        self._go(self.position_for_width(width_m - self.cfg.gripper_close_margin_m), guard, phase)

    def open(self, guard: AttemptGuard | None = None, phase: str = "open") -> None:
        self._go(0, guard, phase)

    def is_closed(self) -> bool:
        return self._get("POS") >= ROBOTIQ_MAX_POSITION // 2

    def disconnect(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.stream = None
        self.activated = False


def make_gripper(cfg: ExecutorConfig, link: URLink):
    """The configured driver (tool_digital | standard_digital | robotiq)."""
    if cfg.gripper_driver == "robotiq":
        return RobotiqSocketGripper(cfg)
    return DigitalOutputGripper(link, cfg, tool=cfg.gripper_driver == "tool_digital")
