"""Quality of service of the image topics, chosen in one place.

Publishers of images are RELIABLE (keep last QUEUE_DEPTH): reliable publishers serve both reliable and
best-effort subscribers. Subscribers take the `input_qos` parameter:
- "sensor_data" (best effort, the ROS convention): matches any publisher (realsense-ros, bags recorded
  best effort); large images may be dropped when the network or the CPU is busy.
- "reliable": no dropped images (fragments are resent), but it only matches reliable publishers
  (our nodes, `kd-grasp replay`, `ros2 bag play` of bags recorded reliable, ros_gz_bridge).
Both keep only the newest input message (depth 1): latest frame wins, an older frame is never
worth the wait (see nodes/frame_node.py).
"""

from __future__ import annotations

from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

from kd_grasp_ros.common.errors import KdGraspError

QUEUE_DEPTH = 5
INPUT_QUEUE_DEPTH = 1
INPUT_QOS_CHOICES = ("sensor_data", "reliable")
IMAGE_PUBLISHER_QOS = QoSProfile(depth=QUEUE_DEPTH, reliability=ReliabilityPolicy.RELIABLE)


class QoSChoiceError(KdGraspError, ValueError):
    """An input_qos value that is not one of INPUT_QOS_CHOICES."""


def input_qos(choice: str) -> QoSProfile:
    """The subscription QoS for an input_qos parameter value."""
    if choice not in INPUT_QOS_CHOICES:
        raise QoSChoiceError(f"input_qos must be one of {INPUT_QOS_CHOICES}, got '{choice}'")
    reliability = ReliabilityPolicy.BEST_EFFORT if choice == "sensor_data" else ReliabilityPolicy.RELIABLE
    return QoSProfile(
        history=HistoryPolicy.KEEP_LAST,
        depth=INPUT_QUEUE_DEPTH,
        reliability=reliability,
        durability=DurabilityPolicy.VOLATILE,
    )
