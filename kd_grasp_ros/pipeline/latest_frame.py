"""Latest frame wins: a one-slot mailbox between the thread that receives frames and the one that
infers on them.

A camera delivers 30 frames/s whatever the network's speed. Queueing them makes every result older
than the one before; dropping all but the newest keeps each result as fresh as the inference time
allows. The receiving side never blocks; a frame replaced before it was taken counts as superseded.
Plain threading, no ROS: the perception nodes run one worker each (see nodes/frame_node.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["FrameWorker", "LatestFrameSlot"]


class LatestFrameSlot:
    """Holds at most one item: offer() replaces it, take() waits for it and empties the slot."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: Any = None
        self._full = False
        self._closed = False
        self.offered = 0
        self.superseded = 0

    def offer(self, item: Any) -> bool:
        """Put `item` in the slot; True if it replaced one never taken (counted in `superseded`)."""
        with self._cond:
            replaced = self._full
            self._item, self._full = item, True
            self.offered += 1
            self.superseded += int(replaced)
            self._cond.notify()
        return replaced

    def take(self, timeout_s: float | None = None) -> tuple[bool, Any]:
        """(True, item) once an item is there; (False, None) on close or after `timeout_s`."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._full or self._closed, timeout_s) or not self._full:
                return False, None
            item, self._item, self._full = self._item, None, False
            return True, item

    def close(self) -> None:
        """Wake and end the taker; an item still in the slot is discarded."""
        with self._cond:
            self._closed = True
            self._item, self._full = None, False
            self._cond.notify_all()


class FrameWorker:
    """One thread that runs `process(item)` on the newest item offered, one item at a time."""

    def __init__(self, process: Callable[[Any], None], name: str) -> None:
        self.slot = LatestFrameSlot()
        self.processed = 0
        self._process = process
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def offer(self, item: Any) -> bool:
        """Hand `item` to the worker (never blocks); True if it replaced a frame not yet started."""
        return self.slot.offer(item)

    @property
    def superseded(self) -> int:
        return self.slot.superseded

    def _run(self) -> None:
        while True:
            got, item = self.slot.take()
            if not got:
                return
            try:
                self._process(item)
            finally:
                self.processed += 1

    def stop(self, timeout_s: float) -> bool:
        """Discard the waiting item, let the running one finish (up to `timeout_s`); True if it ended."""
        self.slot.close()
        self._thread.join(timeout_s)
        return not self._thread.is_alive()
