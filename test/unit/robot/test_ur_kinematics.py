"""UR10e forward/inverse kinematics against hand-computed poses and round trips."""

import numpy as np
import pytest

from kd_grasp_ros.robot import kinematics
from kd_grasp_ros.robot.ur10e_params import DH_A, DH_D, HOME_Q, JOINT_LOWER, JOINT_UPPER

D1, _, _, D4, D5, D6 = DH_D
_, A2, A3, _, _, _ = DH_A


def test_forward_at_home_matches_hand_computed_pose():
    # q = [0, -pi/2, pi/2, -pi/2, -pi/2, 0]: upper arm up, forearm horizontal (along -x), tool down.
    t = kinematics.forward(HOME_Q)
    np.testing.assert_allclose(t[:3, 3], [A3 - D5, -D4, D1 - A2 - D6], atol=1e-4)
    np.testing.assert_allclose(t[:3, :3], [[0, 1, 0], [1, 0, 0], [0, 0, -1]], atol=1e-4)


def test_forward_at_zero_is_the_stretched_arm():
    t = kinematics.forward(np.zeros(6))
    np.testing.assert_allclose(t[:3, 3], [A2 + A3, -(D4 + D6), D1 - D5], atol=1e-12)


def test_inverse_returns_all_solutions_and_recovers_the_input():
    rng = np.random.default_rng(7)
    counts = []
    for _ in range(100):
        q = rng.uniform(-np.pi, np.pi, 6)
        solutions = kinematics.inverse_all(kinematics.forward(q))
        counts.append(len(solutions))
        assert any(np.allclose((s - q + np.pi) % (2 * np.pi) - np.pi, 0.0, atol=1e-6) for s in solutions)
        for s in solutions:
            np.testing.assert_allclose(kinematics.forward(s), kinematics.forward(q), atol=1e-6)
    assert max(counts) == 8


def test_closest_ik_picks_the_solution_nearest_the_reference_and_unwraps_the_wrist():
    reference = np.array([0.3, -1.2, 1.4, -1.7, -1.5, 5.9])  # wrist 3 beyond pi
    q = kinematics.closest_ik(kinematics.forward(reference), reference)
    np.testing.assert_allclose(q, reference, atol=1e-6)
    assert np.all(q >= JOINT_LOWER) and np.all(q <= JOINT_UPPER)


def test_unreachable_pose_raises_a_named_error():
    far = np.eye(4)
    far[:3, 3] = [2.5, 0.0, 0.5]
    assert kinematics.inverse_all(far) == []
    with pytest.raises(kinematics.KinematicsError, match="no UR10e IK solution"):
        kinematics.closest_ik(far, HOME_Q)


def test_malformed_joint_vector_is_rejected():
    with pytest.raises(kinematics.KinematicsError, match="6 finite joint angles"):
        kinematics.forward([0.0, np.nan, 0.0, 0.0, 0.0, 0.0])
