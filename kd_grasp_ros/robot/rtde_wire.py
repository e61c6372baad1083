"""RTDE protocol version 2 on the wire: message framing, the variable type table, field packing.

Used by the emulated controller (kd_grasp_ros.robot.emulator). Every message is a big-endian header
(uint16 size including the 3 header bytes, uint8 type) and a payload. Variable names and types follow
Universal Robots' published RTDE guide for e-Series controllers.
"""

from __future__ import annotations

import re
import socket
import struct

from kd_grasp_ros.common.errors import KdGraspError

HEADER = struct.Struct(">HB")
REQUEST_PROTOCOL_VERSION = ord("V")
GET_URCONTROL_VERSION = ord("v")
TEXT_MESSAGE = ord("M")
DATA_PACKAGE = ord("U")
SETUP_OUTPUTS = ord("O")
SETUP_INPUTS = ord("I")
START = ord("S")
PAUSE = ord("P")
PROTOCOL_VERSION = 2

# struct format of each RTDE type (big-endian, no padding).
TYPE_FORMATS = {
    "BOOL": "?",
    "UINT8": "B",
    "UINT32": "I",
    "UINT64": "Q",
    "INT32": "i",
    "DOUBLE": "d",
    "VECTOR3D": "3d",
    "VECTOR6D": "6d",
    "VECTOR6INT32": "6i",
    "VECTOR6UINT32": "6I",
}

_FIXED_TYPES = {
    "DOUBLE": (
        "timestamp actual_execution_time speed_scaling target_speed_fraction actual_momentum "
        "actual_main_voltage actual_robot_voltage actual_robot_current standard_analog_input0 "
        "standard_analog_input1 standard_analog_output0 standard_analog_output1 io_current "
        "tool_analog_input0 tool_analog_input1 tool_output_current tool_temperature tcp_force_scalar "
        "payload payload_mass euromap67_24V_voltage euromap67_24V_current speed_slider_fraction "
        "standard_analog_output_0 standard_analog_output_1"
    ),
    "VECTOR6D": (
        "target_q target_qd target_qdd target_current target_moment actual_q actual_qd actual_qdd "
        "actual_current actual_current_window actual_moment joint_control_output actual_TCP_pose "
        "actual_TCP_speed actual_TCP_force target_TCP_pose target_TCP_speed joint_temperatures "
        "actual_joint_voltage ft_raw_wrench payload_inertia actual_current_as_torque "
        "external_force_torque joint_position_deviation_ratio"
    ),
    "VECTOR3D": "actual_tool_accelerometer elbow_position elbow_velocity payload_cog",
    "UINT64": "actual_digital_input_bits actual_digital_output_bits",
    "INT32": "robot_mode safety_mode safety_status tool_output_voltage",
    "VECTOR6INT32": "joint_mode",
    "UINT32": (
        "runtime_state robot_status_bits safety_status_bits analog_io_types tool_mode "
        "tool_analog_input_types output_bit_registers0_to_31 output_bit_registers32_to_63 "
        "input_bit_registers0_to_31 input_bit_registers32_to_63 euromap67_input_bits "
        "euromap67_output_bits script_control_line speed_slider_mask"
    ),
    "UINT8": (
        "tool_output_mode tool_digital_output0_mode tool_digital_output1_mode "
        "standard_digital_output_mask standard_digital_output configurable_digital_output_mask "
        "configurable_digital_output tool_digital_output_mask tool_digital_output "
        "standard_analog_output_mask standard_analog_output_type"
    ),
}
VARIABLE_TYPES: dict[str, str] = {
    name: rtde_type for rtde_type, names in _FIXED_TYPES.items() for name in names.split()
}
REGISTER_COUNT = 48
_REGISTER = re.compile(r"^(input|output)_(int|double|bit)_register_(\d+)$")
_REGISTER_TYPES = {"int": "INT32", "double": "DOUBLE", "bit": "BOOL"}


class RTDEProtocolError(KdGraspError, ConnectionError):
    """A peer sent bytes that do not form a valid RTDE message."""


def variable_type(name: str) -> str | None:
    """The RTDE type of a variable name, or None when the controller does not know it."""
    if name in VARIABLE_TYPES:
        return VARIABLE_TYPES[name]
    m = _REGISTER.match(name)
    if m and int(m.group(3)) < (64 if m.group(2) == "bit" else REGISTER_COUNT):
        return _REGISTER_TYPES[m.group(2)]
    return None


def parse_register(name: str) -> tuple[str, str, int] | None:
    """('input'|'output', 'int'|'double'|'bit', index) of a register variable name, else None."""
    m = _REGISTER.match(name)
    return (m.group(1), m.group(2), int(m.group(3))) if m else None


def recipe_struct(types: list[str]) -> struct.Struct:
    """The struct that packs one data package of these RTDE types (after the recipe id)."""
    return struct.Struct(">" + "".join(TYPE_FORMATS[t] for t in types))


def flatten(values: list, types: list[str]) -> list:
    """Values in the flat order a recipe struct packs them (vectors expanded)."""
    flat: list = []
    for value, rtde_type in zip(values, types, strict=True):
        if rtde_type.startswith("VECTOR"):
            flat.extend(value)
        else:
            flat.append(value)
    return flat


def unflatten(flat: tuple, types: list[str]) -> list:
    """Inverse of flatten: one value (or list) per recipe field."""
    out, i = [], 0
    for rtde_type in types:
        n = {"VECTOR3D": 3, "VECTOR6D": 6, "VECTOR6INT32": 6, "VECTOR6UINT32": 6}.get(rtde_type, 1)
        out.append(list(flat[i : i + n]) if n > 1 else flat[i])
        i += n
    return out


def frame(message_type: int, payload: bytes = b"") -> bytes:
    """One RTDE message: header + payload."""
    return HEADER.pack(HEADER.size + len(payload), message_type) + payload


def read_exactly(sock: socket.socket, n: int) -> bytes:
    """n bytes from sock; raises ConnectionError when the peer closes first."""
    chunks, remaining = [], n
    while remaining:
        chunk = sock.recv(remaining)
        if not chunk:
            raise ConnectionError("RTDE peer closed the connection")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_message(sock: socket.socket) -> tuple[int, bytes]:
    """(type, payload) of the next message on sock."""
    size, message_type = HEADER.unpack(read_exactly(sock, HEADER.size))
    if size < HEADER.size:
        raise RTDEProtocolError(f"RTDE header size {size} is smaller than the header itself")
    return message_type, read_exactly(sock, size - HEADER.size)
