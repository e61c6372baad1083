"""Named exceptions raised at the boundaries of the depth area."""

from __future__ import annotations

from kd_grasp_ros.common.errors import KdGraspError


class DepthModelError(KdGraspError, RuntimeError):
    """A depth model name is unknown, or a checkpoint is missing, corrupt or incompatible."""


class DepthInputError(KdGraspError, ValueError):
    """The colour or depth image given to DepthCompleter is not what it expects."""


class DepthDataError(KdGraspError, RuntimeError):
    """A ClearGrasp file or folder is missing, unreadable or inconsistent."""
