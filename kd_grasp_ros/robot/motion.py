"""Trapezoidal moveJ / moveL motions and the moving body behind the emulated controller.

A motion is a geometric path parameterised by its length s (radians of the leading joint for moveJ,
metres for moveL) and a time profile s(t): accelerate at a, cruise at v, decelerate at a (a triangle
when the path is too short to reach v). stopJ/stopL replace the profile by a deceleration from the
current speed along the same path.

The body is the small `ArmBody` interface: the controller commands joint positions every cycle and
reads back the actual ones. `KinematicArm` follows the command exactly; a physics mirror (e.g. a
MuJoCo arm) can implement the same two methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from kd_grasp_ros.common.transforms import axis_angle_to_matrix, make_transform, matrix_to_axis_angle
from kd_grasp_ros.robot import kinematics

ROTATION_RADIUS_M = 0.1  # a pure rotation in moveL counts as this radius times the angle (metres)
MIN_PATH_LENGTH = 1e-9


class ArmBody(Protocol):
    """What the controller needs from the thing that moves: command joints, read them back."""

    def read_q(self) -> np.ndarray: ...

    def command(self, q: np.ndarray, qd: np.ndarray) -> None: ...


class KinematicArm:
    """A body that is exactly where it was commanded (no dynamics)."""

    def __init__(self, q0) -> None:
        self._q = kinematics.check_joint_angles(q0).copy()  # a bad start pose fails here, not in a thread
        self._qd = np.zeros(6)

    def read_q(self) -> np.ndarray:
        return self._q.copy()

    def read_qd(self) -> np.ndarray:
        return self._qd.copy()

    def command(self, q: np.ndarray, qd: np.ndarray) -> None:
        self._q = np.array(q, dtype=float)
        self._qd = np.array(qd, dtype=float)


@dataclass(frozen=True)
class Segment:
    t0: float
    s0: float
    v0: float
    acc: float
    duration: float

    def at(self, t: float) -> tuple[float, float]:
        dt = min(max(t - self.t0, 0.0), self.duration)
        return self.s0 + self.v0 * dt + 0.5 * self.acc * dt * dt, self.v0 + self.acc * dt


class Profile:
    """A piecewise constant-acceleration time law s(t) that ends at rest."""

    def __init__(self, segments: list[Segment]):
        self.segments = segments
        self.duration = segments[-1].t0 + segments[-1].duration if segments else 0.0
        self.end = segments[-1].at(self.duration)[0] if segments else 0.0

    @classmethod
    def trapezoid(cls, length: float, v: float, a: float) -> Profile:
        """Rest-to-rest profile covering length with speed cap v and acceleration a (both > 0)."""
        if v <= 0 or a <= 0:
            raise ValueError(f"speed and acceleration must be positive, got v={v}, a={a}")
        if length <= MIN_PATH_LENGTH:
            return cls([Segment(0.0, 0.0, 0.0, 0.0, 0.0)])
        t_acc = v / a
        d_acc = 0.5 * v * t_acc
        if 2 * d_acc >= length:  # triangle: never reaches v
            t_acc = np.sqrt(length / a)
            v_peak = a * t_acc
            return cls([Segment(0.0, 0.0, 0.0, a, t_acc), Segment(t_acc, 0.5 * length, v_peak, -a, t_acc)])
        t_cruise = (length - 2 * d_acc) / v
        return cls(
            [
                Segment(0.0, 0.0, 0.0, a, t_acc),
                Segment(t_acc, d_acc, v, 0.0, t_cruise),
                Segment(t_acc + t_cruise, length - d_acc, v, -a, t_acc),
            ]
        )

    @classmethod
    def stop(cls, s0: float, v0: float, a: float) -> Profile:
        """Decelerate from speed v0 at s0 to rest with deceleration a."""
        a = max(a, 1e-6)
        return cls([Segment(0.0, s0, v0, -a, max(v0, 0.0) / a)])

    def sample(self, t: float) -> tuple[float, float]:
        """(s, ds/dt) at time t since the profile started (clamped to the ends)."""
        for seg in self.segments:
            if t <= seg.t0 + seg.duration:
                return seg.at(t)
        return self.segments[-1].at(t)


class JointPath:
    """Straight line in joint space; s is the travel of the leading joint (rad)."""

    kind = "joint"

    def __init__(self, q0, q1):
        self.q0 = np.asarray(q0, dtype=float)
        self.q1 = np.asarray(q1, dtype=float)
        self.length = float(np.max(np.abs(self.q1 - self.q0)))

    def q_at(self, s: float, q_prev: np.ndarray) -> np.ndarray:
        if self.length <= MIN_PATH_LENGTH:
            return self.q1.copy()
        return self.q0 + (s / self.length) * (self.q1 - self.q0)


class LinearPath:
    """Straight line of the TCP in Cartesian space with the rotation interpolated about one axis."""

    kind = "linear"

    def __init__(self, tcp0: np.ndarray, tcp1: np.ndarray, flange_from_tcp: np.ndarray):
        self.tcp0 = np.asarray(tcp0, dtype=float)
        self.tcp1 = np.asarray(tcp1, dtype=float)
        self.tcp_from_flange = np.linalg.inv(flange_from_tcp)
        self.delta_p = self.tcp1[:3, 3] - self.tcp0[:3, 3]
        self.delta_rv = matrix_to_axis_angle(self.tcp0[:3, :3].T @ self.tcp1[:3, :3])
        self.length = float(
            max(np.linalg.norm(self.delta_p), np.linalg.norm(self.delta_rv) * ROTATION_RADIUS_M)
        )

    def tcp_at(self, s: float) -> np.ndarray:
        f = 1.0 if self.length <= MIN_PATH_LENGTH else s / self.length
        rot = self.tcp0[:3, :3] @ axis_angle_to_matrix(f * self.delta_rv)
        return make_transform(rot, self.tcp0[:3, 3] + f * self.delta_p)

    def q_at(self, s: float, q_prev: np.ndarray) -> np.ndarray:
        return kinematics.closest_ik(self.tcp_at(s) @ self.tcp_from_flange, q_prev)


class Motion:
    """A path and its profile started at t_start (seconds on the controller clock)."""

    def __init__(self, path, profile: Profile, t_start: float, asynchronous: bool):
        self.path = path
        self.profile = profile
        self.t_start = t_start
        self.asynchronous = asynchronous
        self.stopping = False

    def sample(self, now: float, q_prev: np.ndarray) -> tuple[np.ndarray, bool]:
        """(q at time now, finished?)."""
        t = now - self.t_start
        s, _ = self.profile.sample(t)
        return self.path.q_at(s, q_prev), t >= self.profile.duration

    def stop(self, now: float, deceleration: float) -> None:
        """Decelerate to rest along the same path."""
        s, sd = self.profile.sample(now - self.t_start)
        self.profile = Profile.stop(s, sd, deceleration)
        self.t_start = now
        self.stopping = True
