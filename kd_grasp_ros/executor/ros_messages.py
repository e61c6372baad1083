"""ROS message conversions for the executor (the only module here that imports ROS packages).

- PoseStamped (best grasp; z approach, y closing) + width/quality -> GraspPose.
- PoseArray (grasp_candidates, best first) + the flat [quality, width_m] per candidate of
  grasp_candidates_info -> list of GraspPose.
- GraspPlan -> geometry_msgs/PoseArray of TCP targets in base_link.
- JointTrajectoryPlan -> trajectory_msgs/JointTrajectory. For the UR Gazebo simulation
  (`/joint_trajectory_controller/follow_joint_trajectory`, control_msgs/FollowJointTrajectory) put
  this message in `goal.trajectory` unchanged; joint names are the UR driver's, times are relative to
  the goal's start, and gripper actions (not part of the trajectory) come with their times on the
  status topic.
"""

from __future__ import annotations

import numpy as np
from builtin_interfaces.msg import Duration
from geometry_msgs.msg import Pose, PoseArray, PoseStamped
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.common.grasp_types import CANDIDATE_INFO_FIELDS, GraspPose
from kd_grasp_ros.common.stamps import stamp_seconds
from kd_grasp_ros.common.transforms import matrix_to_quat, quat_to_matrix
from kd_grasp_ros.executor.planner import GraspPlan
from kd_grasp_ros.executor.trajectory import JointTrajectoryPlan


class GraspMessageError(KdGraspError, ValueError):
    """A grasp message is malformed (NaN, zero quaternion, empty frame)."""


def pose_stamped_to_grasp(msg: PoseStamped, width_m: float, quality: float) -> GraspPose:
    p, o = msg.pose.position, msg.pose.orientation
    position = np.array([p.x, p.y, p.z], dtype=float)
    quat = np.array([o.x, o.y, o.z, o.w], dtype=float)
    if not (np.all(np.isfinite(position)) and np.all(np.isfinite(quat))) or np.linalg.norm(quat) < 1e-6:
        raise GraspMessageError(
            f"grasp pose must be finite with a non-zero quaternion, got {position}, {quat}"
        )
    if not msg.header.frame_id:
        raise GraspMessageError("grasp pose has an empty header.frame_id")
    return GraspPose(
        position=position,
        rotation=quat_to_matrix(quat),
        width_m=float(width_m),
        quality=float(quality),
        frame_id=msg.header.frame_id,
        stamp_s=stamp_seconds(msg.header.stamp),
    )


def pose_array_to_grasps(msg: PoseArray, info, limit: int | None = None) -> list[GraspPose]:
    """The first `limit` (default all) candidates of one frame, in their published order; `info` is
    grasp_candidates_info's data, which must hold a [quality, width_m] for every pose."""
    fields = len(CANDIDATE_INFO_FIELDS)
    if len(info) != fields * len(msg.poses):
        raise GraspMessageError(
            f"grasp_candidates_info has {len(info)} values, expected {fields} "
            f"({', '.join(CANDIDATE_INFO_FIELDS)}) "
            f"for each of the {len(msg.poses)} grasp_candidates"
        )
    grasps = []
    for i, pose in enumerate(msg.poses[:limit]):
        quality, width = info[fields * i : fields * i + fields]
        grasps.append(pose_stamped_to_grasp(PoseStamped(header=msg.header, pose=pose), width, quality))
    return grasps


def transform_to_pose_msg(t: np.ndarray) -> Pose:
    pose = Pose()
    pose.position.x, pose.position.y, pose.position.z = (float(v) for v in t[:3, 3])
    q = matrix_to_quat(t[:3, :3])
    pose.orientation.x, pose.orientation.y, pose.orientation.z, pose.orientation.w = (float(v) for v in q)
    return pose


def plan_to_pose_array(plan: GraspPlan, header) -> PoseArray:
    msg = PoseArray()
    msg.header = header
    msg.poses = [transform_to_pose_msg(t) for t in plan.tcp_path()]
    return msg


def _duration(t: float) -> Duration:
    ns = int(round(t * 1e9))
    return Duration(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)


def trajectory_to_msg(traj: JointTrajectoryPlan, header) -> JointTrajectory:
    msg = JointTrajectory()
    msg.header = header
    msg.joint_names = list(traj.joint_names)
    for q, qd, t in zip(traj.positions, traj.velocities, traj.times_s, strict=True):
        point = JointTrajectoryPoint()
        point.positions = [float(v) for v in q]
        point.velocities = [float(v) for v in qd]
        point.time_from_start = _duration(t)
        msg.points.append(point)
    return msg
