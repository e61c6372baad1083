"""Find the package's installed files (config/, launch/, models/) the same way everywhere.

Order: the ament index (a colcon workspace, or the share/ tree pip installs), then the source tree
(an editable install or a checkout). Raises ResourceNotFoundError naming every place it looked.
"""

from __future__ import annotations

from pathlib import Path

from kd_grasp_ros.common.errors import KdGraspError

PACKAGE = "kd_grasp_ros"
SOURCE_ROOT = Path(__file__).resolve().parents[2]


class ResourceNotFoundError(KdGraspError, FileNotFoundError):
    """A config, launch or model file of this package could not be found."""


def _share_dirs() -> list[Path]:
    dirs = []
    try:
        from ament_index_python.packages import get_package_share_directory

        try:
            dirs.append(Path(get_package_share_directory(PACKAGE)))
        except (LookupError, OSError, ValueError):  # not in the index, or no AMENT_PREFIX_PATH at all
            pass
    except ImportError:
        pass
    dirs.append(SOURCE_ROOT)
    return dirs


def resource_path(kind: str, name: str) -> Path:
    """Path of `<share>/<kind>/<name>`, e.g. resource_path('models', 'grasp_student_v1.pt')."""
    tried = []
    for share in _share_dirs():
        candidate = share / kind / name
        if candidate.exists():
            return candidate
        tried.append(str(candidate))
    raise ResourceNotFoundError(f"{kind}/{name} not found; looked in: {', '.join(tried)}")


def config_path(name: str) -> Path:
    return resource_path("config", name)


def model_path(name: str) -> Path:
    return resource_path("models", name)


def launch_path(name: str) -> Path:
    return resource_path("launch", name)


def resolve_model(path_or_name: str) -> Path:
    """A model given as a path (absolute or relative to the working directory) or a shipped name."""
    p = Path(path_or_name).expanduser()
    if p.exists():
        return p
    return model_path(path_or_name)
