"""KdGraspError: the root of every error this package raises on purpose.

Each area's named errors (SimConfigError, GraspModelError, ExecutorError, ...) derive from it and from
the builtin they specialise (ValueError, RuntimeError, ...), so a caller may catch either. `kd-grasp`
catches it once (kd_grasp_ros.cli.main) and answers with one line and exit code 1.
"""

from __future__ import annotations


class KdGraspError(Exception):
    """An expected failure with a message meant for the user (bad input, missing file, lost robot)."""
