"""Notices a lost robot connection while the executor is idle and reconnects, with bounded retries.

    watch = ConnectionWatch(executor, period_s=1.0, max_attempts=30, report=print)
    watch.poll()            # call periodically (the node's timer); never raises

A link whose RTDE interfaces report disconnected or whose stream has stalled for IDLE_STALL_S counts
as lost, and is reported at once through `report(event: dict)`. While an attempt runs, only the
receive interface is asked (a ur_rtde control call can block for as long as the controller is gone:
seen with moveL in ur_rtde 1.6.5) and `on_lost_while_busy()` is called, so that the node cancels the
attempt: whenever the blocked call returns, the attempt stops at its next check. Once idle, the dead
interfaces are dropped (`GraspExecutor.disconnect`) and a new connection is tried every `period_s`,
at most `max_attempts` times (0 = never).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kd_grasp_ros.executor.errors import ExecutorError

# An idle link may be quiet this long before it counts as lost (motions use stream_stall_timeout_s):
# longer than a busy machine's scheduling hiccups, short enough to report a lost robot within seconds.
IDLE_STALL_S = 1.0


class ConnectionWatch:
    """State: "connected", "lost" (retrying) or "gave_up"."""

    def __init__(
        self,
        executor,
        period_s: float,
        max_attempts: int,
        report: Callable[[dict], None],
        after_reconnect: Callable[[], None] | None = None,
        on_lost_while_busy: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.executor = executor
        self.period_s = period_s
        self.max_attempts = max_attempts
        self.report = report
        self.after_reconnect = after_reconnect
        self.on_lost_while_busy = on_lost_while_busy
        self._dropped = False
        self.clock = clock
        self.state = "connected"
        self.attempts = 0
        self.reason = ""
        self._next_try = 0.0

    @property
    def lost(self) -> bool:
        return self.state != "connected"

    def poll(self) -> None:
        """Check the link (when idle) and retry a lost one when its time has come; never raises."""
        busy = self.executor.busy
        if self.state == "connected":
            stall_s = max(self.executor.cfg.stream_stall_timeout_s, IDLE_STALL_S)
            if self.executor.link.stream_alive(stall_s, receive_only=busy):
                return
            self._lose("the RTDE connection dropped or its stream stalled", busy)
        if busy:
            return
        if not self._dropped:
            self.executor.disconnect()
            self._dropped = True
        if self.state == "gave_up" or self.clock() < self._next_try:
            return
        self._retry()

    def _lose(self, reason: str, busy: bool) -> None:
        self.state, self.attempts, self.reason, self._dropped = "lost", 0, reason, False
        self._next_try = self.clock()
        self.report({"phase": "connection", "status": "lost", "reason": reason})
        if busy and self.on_lost_while_busy is not None:
            self.on_lost_while_busy(reason)

    def _retry(self) -> None:
        self.attempts += 1
        try:
            self.executor.connect()
            if self.after_reconnect is not None:
                self.after_reconnect()
        except ExecutorError as err:
            self.reason = str(err)
            if self.max_attempts and self.attempts >= self.max_attempts:
                self.state = "gave_up"
                self.report(
                    {
                        "phase": "connection",
                        "status": "gave_up",
                        "attempts": self.attempts,
                        "reason": f"no reconnection after {self.attempts} attempts: {err}",
                    }
                )
                return
            self._next_try = self.clock() + self.period_s
            self.report(
                {
                    "phase": "connection",
                    "status": "reconnect_failed",
                    "attempt": self.attempts,
                    "reason": str(err),
                }
            )
            return
        self.state, self.reason = "connected", ""
        self.report({"phase": "connection", "status": "reconnected", "attempts": self.attempts})
