"""Approximate-time pairing of messages from several streams, without ROS (message_filters stand-in).

Every stream keeps its newest `queue_size` items. When an item arrives, the synchroniser looks in the
other streams for the item closest in time; if every stream has one and all their stamps lie within
`slop_s` of each other, the set is emitted and everything up to the matched stamps is dropped, so an
item is used at most once and sets come out in time order. An item at most `slop_s` older than the
newest emitted set is a straggler and refused (it could only form a set running backwards in time); an
item older than that means time jumped back (a bag played again, a simulation reset): the queues start
afresh from it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.common.parameter_files import section

# depth_completion_node's shipped pairing (config/depth_completion.yaml), the offline replay's too.
_DEPTH_NODE = section("depth_completion.yaml", "depth_completion_node")
DEFAULT_QUEUE_SIZE: int = _DEPTH_NODE["sync_queue_size"]
DEFAULT_SLOP_S: float = _DEPTH_NODE["sync_slop_s"]


class SyncConfigError(KdGraspError, ValueError):
    """The synchroniser was configured with an unusable stream list, queue size or slop."""


@dataclass(frozen=True)
class StampedItem:
    """One message (any object) with its header stamp in seconds."""

    stamp_s: float
    item: Any


class ApproximateTimeSynchronizer:
    """Pairs items from named streams whose stamps differ by at most `slop_s` seconds."""

    def __init__(
        self, streams: Sequence[str], queue_size: int = DEFAULT_QUEUE_SIZE, slop_s: float = DEFAULT_SLOP_S
    ):
        if len(streams) < 2 or len(set(streams)) != len(streams):
            raise SyncConfigError(f"need at least two distinct stream names, got {list(streams)}")
        if queue_size < 1:
            raise SyncConfigError(f"queue_size must be >= 1, got {queue_size}")
        if not slop_s >= 0.0:
            raise SyncConfigError(f"slop_s must be >= 0 seconds, got {slop_s}")
        self.streams = tuple(streams)
        self.slop_s = float(slop_s)
        self._queues: dict[str, deque[StampedItem]] = {s: deque(maxlen=queue_size) for s in self.streams}
        self._last_emitted_s = float("-inf")
        self.matched = 0
        self.refused_late = 0
        self.unmatched = 0  # arrivals that found every stream filled but the stamps too far apart
        self.last_offset_s = 0.0  # the stamp spread of the latest such arrival

    def add(self, stream: str, stamp_s: float, item: Any) -> dict[str, StampedItem] | None:
        """Queue an item; returns {stream: StampedItem} when it completes a set, else None."""
        if stream not in self._queues:
            raise SyncConfigError(f"unknown stream '{stream}'; expected one of {list(self.streams)}")
        if stamp_s < self._last_emitted_s - self.slop_s:
            self.reset()
        if stamp_s <= self._last_emitted_s:
            self.refused_late += 1
            return None
        new = StampedItem(float(stamp_s), item)
        self._queues[stream].append(new)
        matched = {stream: new}
        for other in self.streams:
            if other == stream:
                continue
            queue = self._queues[other]
            if not queue:
                return None
            matched[other] = min(queue, key=lambda s: abs(s.stamp_s - new.stamp_s))
        stamps = [m.stamp_s for m in matched.values()]
        if max(stamps) - min(stamps) > self.slop_s:
            self.unmatched += 1
            self.last_offset_s = max(stamps) - min(stamps)
            return None
        for name, chosen in matched.items():
            queue = self._queues[name]
            while queue and queue[0].stamp_s <= chosen.stamp_s:
                queue.popleft()
        self._last_emitted_s = max(stamps)
        self.matched += 1
        return matched

    def reset(self) -> None:
        """Forget every queued item and the time of the last set."""
        for queue in self._queues.values():
            queue.clear()
        self._last_emitted_s = float("-inf")

    def pending(self) -> dict[str, int]:
        """How many unmatched items each stream holds."""
        return {name: len(q) for name, q in self._queues.items()}
