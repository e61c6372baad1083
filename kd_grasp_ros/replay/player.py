"""Publish a rosbag2 on a live ROS graph: recorded timing scaled by a rate (or flat out), with /clock.

Messages are republished as recorded (CDR bytes, no decoding) unless `restamp` is on: then every
message with a header gets the current time as its stamp (for nodes that do not use /clock).
Publishers are reliable with a queue of `queue_depth`: best-effort subscribers (sensor-data QoS) and
reliable ones both receive them (realsense-ros #3033 is a reliable subscriber meeting a best-effort bag).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.serialization import serialize_message
from rosgraph_msgs.msg import Clock

from kd_grasp_ros.nodes import topics
from kd_grasp_ros.replay.bag_io import BagMessage, bag_topics, deserialize, message_class, read_messages

DEFAULT_QUEUE_DEPTH = 10
# The player sleeps at most this long at a time, so Ctrl-C and shutdown are noticed promptly.
MAX_SLEEP_S = 0.1


@dataclass(frozen=True)
class PlayOptions:
    """rate: speed factor (1 = recorded); flat_out: no waiting; loop: start again at the end."""

    rate: float = 1.0
    flat_out: bool = False
    loop: bool = False
    publish_clock: bool = True
    restamp: bool = False
    topics: tuple[str, ...] | None = None
    queue_depth: int = DEFAULT_QUEUE_DEPTH


class BagPlayer:
    """Publishes a bag's messages through a node's publishers."""

    def __init__(self, node: Node, bag: str, options: PlayOptions):
        if not options.flat_out and options.rate <= 0.0:
            raise ValueError(f"rate must be > 0 (or use flat_out), got {options.rate}")
        self.node, self.bag, self.options = node, bag, options
        available = bag_topics(bag)
        chosen = options.topics or tuple(available)
        qos = QoSProfile(depth=options.queue_depth, reliability=ReliabilityPolicy.RELIABLE)
        self.publishers = {
            t: node.create_publisher(message_class(available[t]), t, qos) for t in chosen if t in available
        }
        self.clock_pub = node.create_publisher(Clock, topics.CLOCK, 10) if options.publish_clock else None
        self.published = 0

    def play(self, keep_going: Callable[[], bool]) -> int:
        """Publish until the bag ends (or forever with loop) or keep_going() is false; returns the count."""
        while keep_going():
            start_wall = time.monotonic()
            first_ns = None
            for message in read_messages(self.bag, list(self.publishers)):
                if not keep_going():
                    return self.published
                first_ns = message.timestamp_ns if first_ns is None else first_ns
                if not self.options.flat_out:
                    due = start_wall + (message.timestamp_ns - first_ns) * 1e-9 / self.options.rate
                    while keep_going() and (wait := due - time.monotonic()) > 0:
                        time.sleep(min(wait, MAX_SLEEP_S))
                self._publish(message)
            if not self.options.loop:
                break
        return self.published

    def _publish(self, message: BagMessage) -> None:
        if self.clock_pub is not None:
            clock = Clock()
            clock.clock.sec, clock.clock.nanosec = divmod(message.timestamp_ns, 10**9)
            self.clock_pub.publish(clock)
        data = message.rawdata
        if self.options.restamp:
            msg = deserialize(message)
            if hasattr(msg, "header"):
                msg.header.stamp = self.node.get_clock().now().to_msg()
                data = serialize_message(msg)
        self.publishers[message.topic].publish(data)
        self.published += 1
