"""Read a UR controller's joint positions and gripper output over RTDE (ur_rtde), to mirror them.

The simulation node uses this to make the MuJoCo arm follow the emulated controller (actual_q) and
its gripper follow the tool digital output that the executor's tool_digital gripper driver sets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.executor.gripper import TOOL_OUTPUT_FIRST_BIT


class ControllerLinkError(KdGraspError, RuntimeError):
    """The controller could not be reached over RTDE, or the connection dropped."""


@dataclass(frozen=True)
class ControllerState:
    """Joint positions (rad, base to wrist 3) and whether the gripper output says 'closed'."""

    q: np.ndarray
    gripper_closed: bool


class ControllerMirror:
    """connect() / read() / close() around rtde_receive.RTDEReceiveInterface."""

    def __init__(self, robot_ip: str, tool_output: int = 0, close_level: bool = True):
        if not robot_ip:
            raise ControllerLinkError("robot_ip is empty; give the (emulated) controller's address")
        self.robot_ip, self.close_level = robot_ip, close_level
        self.bit = TOOL_OUTPUT_FIRST_BIT + int(tool_output)
        self._receive = None

    @property
    def connected(self) -> bool:
        return self._receive is not None

    def connect(self) -> None:
        import rtde_receive

        try:
            self._receive = rtde_receive.RTDEReceiveInterface(self.robot_ip)
        except RuntimeError as exc:
            raise ControllerLinkError(f"no RTDE connection to {self.robot_ip}: {exc}") from exc

    def read(self) -> ControllerState:
        if self._receive is None:
            raise ControllerLinkError("not connected; call connect() first")
        if not self._receive.isConnected():
            self._receive = None
            raise ControllerLinkError(f"RTDE connection to {self.robot_ip} lost")
        q = np.array(self._receive.getActualQ(), dtype=float)
        if q.shape != (6,):
            raise ControllerLinkError(f"controller sent {q.size} joint positions, expected 6")
        level = bool((int(self._receive.getActualDigitalOutputBits()) >> self.bit) & 1)
        return ControllerState(q=q, gripper_closed=level == self.close_level)

    def close(self) -> None:
        if self._receive is not None:
            self._receive.disconnect()
            self._receive = None
