"""MJCF of the parallel-jaw gripper: a palm on the flange and two position-controlled sliding fingers.

Gripper frame = flange frame (tool0): z = approach (out of the flange), y = closing axis, x = y cross z.
The TCP lies TCP_LENGTH_M along z; the finger pads (FINGER_DEPTH_M long) are centred on it. A finger
joint's position is the distance of its pad's inner face from the TCP, so the jaw opening is the
sum of both joints (0 .. GRIPPER_STROKE_M).
"""

from __future__ import annotations

from kd_grasp_ros.robot.gripper_params import (
    FINGER_DEPTH_M,
    FINGER_THICKNESS_M,
    GRIPPER_STROKE_M,
    PAD_WIDTH_M,
    TCP_LENGTH_M,
)

PAD_FRICTION = "1.2 0.02 0.0001"
PAD_SOLREF = "0.004 1"  # stiff pad contacts: millimetre penetration at the full grip force
PAD_SOLIMP = "0.95 0.99 0.001"
FINGER_MASS_KG = 0.1
FINGER_KP = 3000.0  # N/m, position gain of each finger
FINGER_KV = 35.0  # N s/m
PALM_BOTTOM_M = 0.09  # palm underside, along z from the flange
FINGER_SIDES = (("left", 1.0), ("right", -1.0))


def _f(values) -> str:
    return " ".join(f"{v:.6g}" for v in values)


def finger_joint_names(prefix: str) -> tuple[str, str]:
    return tuple(f"{prefix}finger_{side}" for side, _ in FINGER_SIDES)


def finger_pad_geom_names(prefix: str) -> tuple[str, str]:
    return tuple(f"{prefix}pad_{side}" for side, _ in FINGER_SIDES)


def finger_actuator_names(prefix: str) -> tuple[str, str]:
    return tuple(f"{prefix}act_finger_{side}" for side, _ in FINGER_SIDES)


def gripper_bodies_xml(prefix: str, group: int, rgba: str = "0.15 0.15 0.17 1") -> str:
    """Geoms and finger bodies to place inside the flange body (or a free-floating gripper body)."""
    pad_top = TCP_LENGTH_M - FINGER_DEPTH_M / 2.0
    link_len = TCP_LENGTH_M - PALM_BOTTOM_M
    common = f'group="{group}" rgba="{rgba}"'
    parts = [
        f'<geom name="{prefix}coupling" type="cylinder" size="0.04 0.025" pos="0 0 0.025" {common}/>',
        f'<geom name="{prefix}palm" type="box" size="0.02 0.055 0.02" pos="0 0 {PALM_BOTTOM_M - 0.02}"'
        f" {common}/>",
    ]
    for side, sign in FINGER_SIDES:
        link_y = sign * (FINGER_THICKNESS_M + 0.003)
        parts.append(
            f'<body name="{prefix}finger_{side}_body">'
            f'<joint name="{prefix}finger_{side}" type="slide" axis="0 {sign:g} 0"'
            f' range="0 {GRIPPER_STROKE_M / 2:.6g}"'
            f' armature="0.02" damping="2"/>'
            f'<inertial pos="0 {link_y:.4g} {pad_top:.4g}" mass="{FINGER_MASS_KG}"'
            f' diaginertia="2e-5 2e-5 1e-5"/>'
            f'<geom name="{prefix}link_{side}" type="box" size="0.009 0.003 {link_len / 2:.6g}"'
            f' pos="0 {link_y:.6g} {PALM_BOTTOM_M + link_len / 2:.6g}" {common}/>'
            f'<geom name="{prefix}pad_{side}" type="box"'
            f' size="{PAD_WIDTH_M / 2:.6g} {FINGER_THICKNESS_M / 2:.6g} {FINGER_DEPTH_M / 2:.6g}"'
            f' pos="0 {sign * FINGER_THICKNESS_M / 2:.6g} {TCP_LENGTH_M:.6g}"'
            f' friction="{PAD_FRICTION}" condim="4"'
            f' solref="{PAD_SOLREF}" solimp="{PAD_SOLIMP}"'
            f' group="{group}" rgba="0.35 0.35 0.38 1"/>'
            f"</body>"
        )
    return "\n".join(parts)


def gripper_actuators_xml(prefix: str, force_limit: float) -> str:
    """Position actuators of both fingers; ctrl = half the jaw opening (m)."""
    return "\n".join(
        f'<position name="{prefix}act_finger_{side}" joint="{prefix}finger_{side}" kp="{FINGER_KP}"'
        f' kv="{FINGER_KV}" ctrlrange="0 {GRIPPER_STROKE_M / 2:.6g}"'
        f' forcerange="{-force_limit} {force_limit}"/>'
        for side, _ in FINGER_SIDES
    )


def gripper_excludes_xml(prefix: str, parent_body: str) -> str:
    """Contact exclusions inside the gripper (fingers touching each other or the palm)."""
    left, right = (f"{prefix}finger_{side}_body" for side, _ in FINGER_SIDES)
    return (
        f'<exclude body1="{left}" body2="{right}"/>'
        f'<exclude body1="{parent_body}" body2="{left}"/><exclude body1="{parent_body}" body2="{right}"/>'
    )
