"""Stamps and node time as float seconds, and the throttle period of repeated log messages."""
from __future__ import annotations

from rclpy.node import Node
from rclpy.time import Time

# A node logs the same kind of problem at most once per this many seconds.
LOG_THROTTLE_S = 2.0


def stamp_seconds(stamp) -> float:
    """A builtin_interfaces/Time as float seconds."""
    return Time.from_msg(stamp).nanoseconds * 1e-9


def now_seconds(node: Node) -> float:
    """The node's clock (ROS time, or /clock with use_sim_time) as float seconds."""
    return node.get_clock().now().nanoseconds * 1e-9
