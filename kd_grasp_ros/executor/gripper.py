"""Gripper drivers: a tool digital output, a standard digital output, or a Robotiq URCap socket.

Each driver opens/closes and confirms the command (the output bit read back over RTDE, or the
Robotiq position) within gripper_timeout_s, then waits gripper_settle_s for the jaws. Robotiq
positions: 0 = open, 255 = closed; the width is mapped linearly over the stroke.
"""

from __future__ import annotations

import socket
import time

from kd_grasp_ros.executor.config import ExecutorConfig
from kd_grasp_ros.executor.errors import ExecutorTimeoutError, RobotConnectionError
from kd_grasp_ros.executor.ur_link import URLink

TOOL_OUTPUT_FIRST_BIT = 16  # tool outputs sit at bits 16-17 of actual_digital_output_bits
POLL_PERIOD_S = 0.01
ROBOTIQ_MAX_POSITION = 255


class DigitalOutputGripper:
    """A gripper switched by one digital output (tool or standard), confirmed over rtde_receive."""

    def __init__(self, link: URLink, cfg: ExecutorConfig, tool: bool):
        self.link, self.cfg, self.tool = link, cfg, tool
        self.bit = (TOOL_OUTPUT_FIRST_BIT if tool else 0) + cfg.gripper_output

    def _set(self, level: bool) -> None:
        self.link.outputs.set_output("tool" if self.tool else "standard", self.cfg.gripper_output, level)
        deadline = time.monotonic() + self.cfg.gripper_timeout_s
        while self.link.digital_output(self.bit) != level:
            if time.monotonic() > deadline:
                raise ExecutorTimeoutError(
                    f"gripper output bit {self.bit} not {level} within "
                    f"gripper_timeout_s={self.cfg.gripper_timeout_s} s"
                )
            time.sleep(POLL_PERIOD_S)
        time.sleep(self.cfg.gripper_settle_s)

    def close(self, width_m: float) -> None:
        self._set(self.cfg.gripper_close_level)

    def open(self) -> None:
        self._set(not self.cfg.gripper_close_level)

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
        self._command("SET ACT 1")
        self._command("SET GTO 1")

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

    def _go(self, position: int) -> None:
        self.target = position
        if self._command(f"SET POS {position}") != "ack":
            raise RobotConnectionError(f"Robotiq did not acknowledge SET POS {position}")
        deadline = time.monotonic() + self.cfg.gripper_timeout_s
        while self._get("OBJ") == 0:  # 0 = fingers still moving
            if time.monotonic() > deadline:
                raise ExecutorTimeoutError(
                    f"Robotiq still moving after gripper_timeout_s={self.cfg.gripper_timeout_s} s"
                )
            time.sleep(POLL_PERIOD_S)
        time.sleep(self.cfg.gripper_settle_s)

    def close(self, width_m: float) -> None:
        # Close fully: the fingers stop on the object and the gripper reports it (OBJ 2).
        self._go(ROBOTIQ_MAX_POSITION)

    def open(self) -> None:
        self._go(0)

    def is_closed(self) -> bool:
        return self._get("POS") >= ROBOTIQ_MAX_POSITION // 2

    def disconnect(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def make_gripper(cfg: ExecutorConfig, link: URLink):
    """The configured driver (tool_digital | standard_digital | robotiq)."""
    if cfg.gripper_driver == "robotiq":
        return RobotiqSocketGripper(cfg)
    return DigitalOutputGripper(link, cfg, tool=cfg.gripper_driver == "tool_digital")
