"""A minimal RTDE input client that sets the standard and tool digital outputs.

Why not ur_rtde's RTDEIOInterface here: in ur_rtde 1.6.5 destroying an RTDEIOInterface whose
controller has gone away throws from its destructor and aborts the whole process, which the executor
must survive (a lost connection is reported, not fatal). This client speaks the same protocol as
RTDEIOInterface (protocol v2, input recipes, data packages, no start) and fails with
RobotConnectionError instead.
"""

from __future__ import annotations

import socket
import struct

from kd_grasp_ros.executor.errors import RobotConnectionError
from kd_grasp_ros.robot import rtde_wire as wire

RTDE_PORT = 30004
_RECIPES = {
    "standard": ("standard_digital_output_mask", "standard_digital_output"),
    "tool": ("tool_digital_output_mask", "tool_digital_output"),
}


class RTDEOutputWriter:
    """Writes digital outputs through two RTDE input recipes (standard 0-7, tool 0-1)."""

    def __init__(self, host: str, timeout_s: float):
        self.host, self.timeout_s = host, timeout_s
        self.sock: socket.socket | None = None
        self.recipe_ids: dict[str, int] = {}

    def _request(self, message_type: int, payload: bytes) -> bytes:
        self.sock.sendall(wire.frame(message_type, payload))
        while True:
            reply_type, reply = wire.read_message(self.sock)
            if reply_type == message_type:
                return reply

    def connect(self) -> None:
        try:
            self.sock = socket.create_connection((self.host, RTDE_PORT), timeout=self.timeout_s)
            if (
                self._request(wire.REQUEST_PROTOCOL_VERSION, struct.pack(">H", wire.PROTOCOL_VERSION))
                != b"\x01"
            ):
                raise RobotConnectionError(
                    f"RTDE at {self.host} refused protocol version {wire.PROTOCOL_VERSION}"
                )
            for group, names in _RECIPES.items():
                reply = self._request(wire.SETUP_INPUTS, ",".join(names).encode())
                types = reply[1:].decode()
                if reply[0] == 0 or "IN_USE" in types or "NOT_FOUND" in types:
                    raise RobotConnectionError(
                        f"RTDE at {self.host} refused the {group} output recipe: {types}"
                    )
                self.recipe_ids[group] = reply[0]
        except OSError as err:
            self.close()
            raise RobotConnectionError(
                f"RTDE output client could not connect to {self.host}:{RTDE_PORT} "
                f"within {self.timeout_s} s: {err}"
            ) from err

    def set_output(self, group: str, index: int, level: bool) -> None:
        """Set one output (group 'standard' or 'tool'); confirmation is read back over rtde_receive."""
        if self.sock is None:
            raise RobotConnectionError("RTDE output client is not connected")
        mask = 1 << index
        payload = struct.pack(">BBB", self.recipe_ids[group], mask, mask if level else 0)
        try:
            self.sock.sendall(wire.frame(wire.DATA_PACKAGE, payload))
        except OSError as err:
            raise RobotConnectionError(f"RTDE output write to {self.host} failed: {err}") from err

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
