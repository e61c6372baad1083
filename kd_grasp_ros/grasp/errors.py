"""Named exceptions raised at the boundaries of the grasp area."""

from __future__ import annotations

from kd_grasp_ros.common.errors import KdGraspError


class GraspModelError(KdGraspError, RuntimeError):
    """A grasp network could not be built or loaded (unknown name, missing, corrupt or foreign file)."""


class GraspInputError(KdGraspError, ValueError):
    """A depth image or crop request given to the grasp detector is not usable."""


class GraspDataError(KdGraspError, ValueError):
    """A grasp dataset file or directory is missing or malformed."""
