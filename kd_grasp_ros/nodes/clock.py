"""Stamps and node time as float seconds, and the throttle period of repeated log messages."""

from __future__ import annotations

from rclpy.node import Node

from kd_grasp_ros.common.stamps import stamp_seconds

__all__ = ["LOG_THROTTLE_S", "now_seconds", "stamp_seconds"]

# A node logs the same kind of problem at most once per this many seconds.
LOG_THROTTLE_S = 2.0


def now_seconds(node: Node) -> float:
    """The node's clock (ROS time, or /clock with use_sim_time) as float seconds."""
    return node.get_clock().now().nanoseconds * 1e-9
