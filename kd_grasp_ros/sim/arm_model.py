"""MJCF of the UR10e built from the published standard DH table (kd_grasp_ros.robot.ur10e_params).

Body i carries joint i, which turns about the z axis of DH frame i-1; the next body sits at
Tz(d_i) Tx(a_i) Rx(alpha_i) from it, so the flange body is DH frame 6 (tool0) and the world is
DH frame 0 (the controller's `base`). The links are drawn as capsules between the DH origins
(visual only: they do not collide); masses come from LINK_MASSES. The arm is kinematic in SimWorld
(see world.py), so inertias are rough and gravity is compensated.
"""

from __future__ import annotations

import numpy as np

from kd_grasp_ros.robot.ur10e_params import (
    DH_A,
    DH_ALPHA,
    DH_D,
    JOINT_LOWER,
    JOINT_NAMES,
    JOINT_UPPER,
    LINK_MASSES,
)

LINK_RADII = (0.075, 0.065, 0.055, 0.045, 0.045, 0.045)
ARM_RGBA = "0.72 0.75 0.78 1"
JOINT_RGBA = "0.20 0.35 0.55 1"
ARM_ARMATURE = 10.0  # large, so contact forces barely disturb the kinematically driven joints
FLANGE_BODY = "flange"


def _f(values) -> str:
    return " ".join(f"{v:.9g}" for v in values)


def _quat_about_x(angle: float) -> tuple[float, float, float, float]:
    """MuJoCo quaternion (w, x, y, z) of a rotation about x."""
    return (np.cos(angle / 2.0), np.sin(angle / 2.0), 0.0, 0.0)


def arm_xml(flange_contents: str, group: int = 0) -> str:
    """Nested arm bodies from DH frame 0 to the flange; flange_contents goes inside the flange body."""
    vis = f'group="{group}" contype="0" conaffinity="0"'
    xml = [
        f'<geom name="base_mount" type="cylinder" size="0.095 0.045" pos="0 0 0.045"'
        f' rgba="{JOINT_RGBA}" {vis}/>'
    ]
    closing = []
    for i in range(6):
        a, d = DH_A[i], DH_D[i]
        seg = np.array([a, 0.0, d])
        length = float(np.linalg.norm(seg))
        mid = seg / 2.0
        radius = LINK_RADII[i]
        mass = LINK_MASSES[i]
        inertia = mass * (length**2 / 12.0 + radius**2 / 4.0)
        placement = 'pos="0 0 0"'
        if i > 0:
            pa, pd, palpha = DH_A[i - 1], DH_D[i - 1], DH_ALPHA[i - 1]
            placement = f'pos="{_f((pa, 0.0, pd))}" quat="{_f(_quat_about_x(palpha))}"'
        xml.append(
            f'<body name="link{i + 1}" {placement} gravcomp="1">'
            f'<joint name="{JOINT_NAMES[i]}" type="hinge" axis="0 0 1"'
            f' range="{JOINT_LOWER[i]:.9g} {JOINT_UPPER[i]:.9g}"'
            f' armature="{ARM_ARMATURE}" damping="0"/>'
            f'<inertial pos="{_f(mid)}" mass="{mass}"'
            f' diaginertia="{_f((inertia, inertia, 0.5 * mass * radius**2))}"/>'
            f'<geom type="cylinder" size="{radius * 1.05:.4g} {radius * 0.9:.4g}" rgba="{JOINT_RGBA}" {vis}/>'
            f'<geom type="capsule" fromto="0 0 0 {_f(seg)}" size="{radius * 0.85:.4g}"'
            f' rgba="{ARM_RGBA}" {vis}/>'
        )
        closing.append("</body>")
    xml.append(
        f'<body name="{FLANGE_BODY}" pos="{_f((DH_A[5], 0.0, DH_D[5]))}"'
        f' quat="{_f(_quat_about_x(DH_ALPHA[5]))}">'
        f"{flange_contents}</body>"
    )
    return "\n".join(xml) + "".join(closing)
