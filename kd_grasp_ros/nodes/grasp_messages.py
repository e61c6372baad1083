"""GraspPose <-> geometry_msgs, and RViz markers that show the gripper frame of each grasp.

Gripper frame of every published pose: z = approach direction (into the scene), y = closing direction
of the jaws, x = y cross z; origin at the grasp centre on the object surface. `grasp_candidates_info`
is a Float32MultiArray with layout [quality, width_m] per candidate, in the order of `grasp_candidates`.
"""

from __future__ import annotations

import numpy as np
from geometry_msgs.msg import Point, Pose
from std_msgs.msg import ColorRGBA, Float32MultiArray, MultiArrayDimension
from visualization_msgs.msg import Marker, MarkerArray

from kd_grasp_ros.common.grasp_types import GraspPose
from kd_grasp_ros.common.transforms import matrix_to_quat, quat_to_matrix
from kd_grasp_ros.pipeline.grasp_stage import CANDIDATE_INFO_FIELDS, candidates_info

MARKER_NAMESPACE = "grasps"
JAW_DEPTH_M = 0.04  # how far the drawn jaws reach along the approach axis
APPROACH_LINE_M = 0.10  # length of the drawn approach line above the grasp
LINE_WIDTH_M = 0.004


def pose_to_msg(pose: GraspPose) -> Pose:
    """The position and orientation (gripper axes) of a grasp as geometry_msgs/Pose."""
    msg = Pose()
    msg.position.x, msg.position.y, msg.position.z = (float(v) for v in pose.position)
    q = matrix_to_quat(pose.rotation)
    msg.orientation.x, msg.orientation.y, msg.orientation.z, msg.orientation.w = (float(v) for v in q)
    return msg


def msg_to_rotation(msg: Pose) -> np.ndarray:
    """The 3x3 rotation (gripper axes as columns) of a geometry_msgs/Pose."""
    o = msg.orientation
    return quat_to_matrix([o.x, o.y, o.z, o.w])


def candidates_info_msg(poses: list[GraspPose]) -> Float32MultiArray:
    """[quality, width_m] per candidate, with the layout's dimensions labelled."""
    msg = Float32MultiArray()
    fields = len(CANDIDATE_INFO_FIELDS)
    msg.layout.dim = [
        MultiArrayDimension(label="candidate", size=len(poses), stride=len(poses) * fields),
        MultiArrayDimension(label=",".join(CANDIDATE_INFO_FIELDS), size=fields, stride=fields),
    ]
    msg.data = candidates_info(poses)
    return msg


def _point(p: np.ndarray) -> Point:
    return Point(x=float(p[0]), y=float(p[1]), z=float(p[2]))


def _gripper_lines(pose: GraspPose) -> list[Point]:
    """Line-list points drawing an open parallel gripper: two jaws, the palm and the approach line."""
    centre, closing, approach = pose.position, pose.closing, pose.approach
    half = closing * pose.width_m / 2.0
    tip_a, tip_b = centre + half, centre - half
    base_a, base_b = tip_a - approach * JAW_DEPTH_M, tip_b - approach * JAW_DEPTH_M
    palm = centre - approach * JAW_DEPTH_M
    return [
        _point(p)
        for p in (tip_a, base_a, tip_b, base_b, base_a, base_b, palm, palm - approach * APPROACH_LINE_M)
    ]


def grasp_markers(poses: list[GraspPose], header) -> MarkerArray:
    """A DELETEALL marker, then one gripper drawing per grasp (green = best, fading with rank)."""
    clear = Marker(action=Marker.DELETEALL)
    clear.header = header
    markers = [clear]
    for i, pose in enumerate(poses):
        marker = Marker(ns=MARKER_NAMESPACE, id=i, type=Marker.LINE_LIST, action=Marker.ADD)
        marker.header = header
        marker.pose.orientation.w = 1.0
        marker.scale.x = LINE_WIDTH_M
        quality = float(np.clip(pose.quality, 0.0, 1.0))
        marker.color = ColorRGBA(r=1.0 - quality, g=quality, b=0.0, a=1.0 if i == 0 else 0.5)
        marker.points = _gripper_lines(pose)
        markers.append(marker)
    return MarkerArray(markers=markers)
