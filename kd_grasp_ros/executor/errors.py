"""Named exceptions of the grasp executor: each says what was expected and what came."""

from __future__ import annotations

from kd_grasp_ros.common.errors import KdGraspError

# ur_executor_node ~/execute_latest's answer before any grasp_pose has arrived
NO_GRASP_YET = "no grasp_pose received yet"


class ExecutorError(KdGraspError, RuntimeError):
    """Base class of every executor failure."""


class ExecutorConfigError(ExecutorError, ValueError):
    """A configuration value is missing, malformed or beyond a hard cap."""


class UnsafeGraspError(ExecutorError):
    """A grasp or its plan failed a safety check; nothing was moved. `reason` is a short code."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class CandidatesRejectedError(UnsafeGraspError):
    """Every grasp candidate of a frame failed a check or could not be planned; nothing was moved.

    `rejections` holds (candidate index, UnsafeGraspError) for each candidate tried, best first.
    """

    def __init__(self, rejections: list[tuple[int, UnsafeGraspError]]):
        super().__init__(
            "no_plannable_candidate", "; ".join(f"candidate {i}: {err}" for i, err in rejections)
        )
        self.rejections = rejections


class RobotConnectionError(ExecutorError):
    """The controller could not be reached, or the connection was lost."""


class ProtectiveStopError(ExecutorError):
    """The robot is (or went) into a protective stop; the attempt was aborted."""


class RobotStateError(ExecutorError):
    """The controller is not in a state that allows motion (program not running, robot not ready)."""


class ExecutorTimeoutError(ExecutorError):
    """A named wait ran past its timeout; the arm was stopped."""


class ExecutionCancelledError(ExecutorError):
    """The attempt was cancelled on request; the arm was stopped."""


class ExecutorFaultError(ExecutorError):
    """An unexpected exception during an attempt (a bug or a third-party failure); the arm was stopped."""
