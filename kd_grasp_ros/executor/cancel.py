"""The stop conditions of one grasp attempt: its own cancel token and the arming switch.

A token is created for each attempt before it is planned, so a cancel that arrives while the attempt
is still planning is never lost. The executor checks `AttemptGuard.check(phase)` before every step
and in every wait loop (motions and gripper); it raises ExecutionCancelledError naming the reason.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from kd_grasp_ros.executor.errors import ExecutionCancelledError


class CancelToken:
    """Set once, from any thread; remembers the first reason given."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    def cancel(self, reason: str) -> None:
        if not self._event.is_set():
            self.reason = reason
            self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class AttemptGuard:
    """What may stop an attempt: its token and, if given, an `armed()` callable (the node's state)."""

    def __init__(self, token: CancelToken | None = None, armed: Callable[[], bool] | None = None):
        self.token = token or CancelToken()
        self.armed = armed

    def check(self, phase: str) -> None:
        """Raise ExecutionCancelledError if the attempt was cancelled or the executor disarmed."""
        if self.token.cancelled:
            raise ExecutionCancelledError(f"{phase}: cancelled ({self.token.reason})")
        if self.armed is not None and not self.armed():
            raise ExecutionCancelledError(f"{phase}: the executor was disarmed")
