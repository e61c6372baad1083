"""UR10e forward and analytic inverse kinematics from the DH table in ur10e_params.

Poses are 4x4 transforms of the flange (ROS `tool0`) in the controller's `base` frame, the frame
ur_rtde uses. The inverse solves the standard closed form of a UR arm (shoulder offset, three parallel
axes, spherical-free wrist): up to 8 solutions (shoulder left/right x wrist up/down x elbow up/down),
each wrapped to (-pi, pi]. `closest_ik` picks the solution nearest to a reference configuration,
shifting every joint by multiples of 2 pi inside the joint limits so the wrist never spins needlessly.
"""

from __future__ import annotations

import numpy as np

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.common.transforms import invert_transform
from kd_grasp_ros.robot.ur10e_params import DH_A, DH_ALPHA, DH_D, JOINT_LOWER, JOINT_UPPER

D1, _, _, D4, D5, D6 = DH_D
_, A2, A3, _, _, _ = DH_A
SINGULAR_EPS = 1e-9  # below this |sin(q5)| the wrist is singular and q6 is taken from the reference
IK_CHECK_TOLERANCE_M = 1e-6  # solutions whose forward kinematics miss the target by more are dropped


class KinematicsError(KdGraspError, ValueError):
    """A pose has no inverse-kinematics solution, or a joint vector is malformed."""


def dh_link(theta: float, i: int) -> np.ndarray:
    """Transform from frame i to frame i+1 (standard DH: Rz(theta) Tz(d) Tx(a) Rx(alpha))."""
    ct, st = np.cos(theta), np.sin(theta)
    ca, sa = np.cos(DH_ALPHA[i]), np.sin(DH_ALPHA[i])
    return np.array(
        [
            [ct, -st * ca, st * sa, DH_A[i] * ct],
            [st, ct * ca, -ct * sa, DH_A[i] * st],
            [0.0, sa, ca, DH_D[i]],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )


def check_joint_angles(q) -> np.ndarray:
    q = np.asarray(q, dtype=float)
    if q.shape != (6,) or not np.all(np.isfinite(q)):
        raise KinematicsError(f"expected 6 finite joint angles, got {q!r}")
    return q


def forward(q) -> np.ndarray:
    """4x4 flange pose in `base` for joint angles q (radians)."""
    q = check_joint_angles(q)
    t = np.eye(4)
    for i in range(6):
        t = t @ dh_link(q[i], i)
    return t


def _wrap(a):
    return (np.asarray(a) + np.pi) % (2 * np.pi) - np.pi


def inverse_all(pose: np.ndarray, q6_default: float = 0.0) -> list[np.ndarray]:
    """Every exact IK solution (0..8) of a 4x4 flange pose in `base`, angles wrapped to [-pi, pi)."""
    t = np.asarray(pose, dtype=float)
    if t.shape != (4, 4) or not np.all(np.isfinite(t)):
        raise KinematicsError(f"expected a finite 4x4 pose, got shape {t.shape}")
    p06 = t[:3, 3]
    p05 = p06 - D6 * t[:3, 2]
    r_xy = np.hypot(p05[0], p05[1])
    if r_xy < abs(D4):
        return []
    psi = np.arctan2(p05[1], p05[0])
    phi = np.arccos(np.clip(D4 / r_xy, -1.0, 1.0))
    solutions = []
    for q1 in (psi + phi + np.pi / 2, psi - phi + np.pi / 2):
        s1, c1 = np.sin(q1), np.cos(q1)
        c5 = (p06[0] * s1 - p06[1] * c1 - D4) / D6
        if abs(c5) > 1.0 + 1e-9:
            continue
        for sign5 in (1.0, -1.0):
            q5 = sign5 * np.arccos(np.clip(c5, -1.0, 1.0))
            s5 = np.sin(q5)
            if abs(s5) < SINGULAR_EPS:
                q6 = q6_default
            else:
                # Rotation of base in flange coordinates gives q6 directly.
                inv = invert_transform(t)
                xx, xy = inv[0, 0], inv[1, 0]
                yx, yy = inv[0, 1], inv[1, 1]
                q6 = np.arctan2((-xy * s1 + yy * c1) / s5, (xx * s1 - yx * c1) / s5)
            t01 = dh_link(q1, 0)
            t45 = dh_link(q5, 4)
            t56 = dh_link(q6, 5)
            t14 = invert_transform(t01) @ t @ invert_transform(t45 @ t56)
            p13 = t14[:3, 3] - D4 * t14[:3, 1]
            dist2 = p13[0] ** 2 + p13[1] ** 2
            c3 = (dist2 - A2**2 - A3**2) / (2 * A2 * A3)
            if abs(c3) > 1.0 + 1e-9:
                continue
            for sign3 in (1.0, -1.0):
                q3 = sign3 * np.arccos(np.clip(c3, -1.0, 1.0))
                q2 = np.arctan2(p13[1], p13[0]) - np.arctan2(A3 * np.sin(q3), A2 + A3 * np.cos(q3))
                t13 = dh_link(q2, 1) @ dh_link(q3, 2)
                t34 = invert_transform(t13) @ t14
                q4 = np.arctan2(t34[1, 0], t34[0, 0])
                q = _wrap(np.array([q1, q2, q3, q4, q5, q6]))
                check = forward(q)
                if np.max(np.abs(check[:3, :] - t[:3, :])) < IK_CHECK_TOLERANCE_M:
                    solutions.append(q)
    return _unique(solutions)


def _unique(solutions: list[np.ndarray]) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for q in solutions:
        if not any(np.max(np.abs(_wrap(q - o))) < 1e-9 for o in out):
            out.append(q)
    return out


def within_limits(q) -> bool:
    """Whether q lies inside the UR10e joint position limits."""
    q = check_joint_angles(q)
    return bool(np.all(q >= JOINT_LOWER) and np.all(q <= JOINT_UPPER))


def nearest_equivalent(q, reference) -> np.ndarray:
    """q with each joint shifted by a multiple of 2 pi to lie nearest the reference, inside the limits."""
    q = check_joint_angles(q).copy()
    reference = check_joint_angles(reference)
    for i in range(6):
        best = q[i]
        for k in range(-2, 3):
            cand = q[i] + 2 * np.pi * k
            if JOINT_LOWER[i] <= cand <= JOINT_UPPER[i] and abs(cand - reference[i]) < abs(
                best - reference[i]
            ):
                best = cand
        q[i] = best
    return q


def closest_ik(pose: np.ndarray, reference, weights=None) -> np.ndarray:
    """The IK solution of a flange pose nearest (weighted L2) to reference, inside the joint limits.

    Raises KinematicsError naming the pose when no solution exists or none respects the limits.
    """
    reference = check_joint_angles(reference)
    w = np.ones(6) if weights is None else np.asarray(weights, dtype=float)
    candidates = [nearest_equivalent(q, reference) for q in inverse_all(pose, q6_default=reference[5])]
    candidates = [q for q in candidates if within_limits(q)]
    if not candidates:
        raise KinematicsError(
            f"no UR10e IK solution within joint limits for flange position "
            f"{np.round(np.asarray(pose)[:3, 3], 4).tolist()} (base frame)"
        )
    costs = [float(np.sum(w * (q - reference) ** 2)) for q in candidates]
    return candidates[int(np.argmin(costs))]
