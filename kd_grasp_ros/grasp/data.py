"""Grasp datasets on disk: Cornell layout (also the simulation's synthetic export) and Jacquard.

Cornell layout: `<prefix>d.tiff` depth (float metres), `<prefix>r.png` RGB, `<prefix>cpos.txt` /
`<prefix>cneg.txt` rectangles as 4 lines "x y" each (x = column). CRLF is tolerated; a rectangle with
any NaN corner is dropped whole. A depth image without a cpos file is an unlabeled scene (KD only).
Jacquard layout: `<prefix>_perfect_depth.tiff` and `<prefix>_grasps.txt` lines "x;y;theta;w;h"
(theta in degrees, negated for the image convention; w along the jaw axis, h the jaw size).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import tifffile

from kd_grasp_ros.grasp.errors import GraspDataError
from kd_grasp_ros.grasp.preprocess import missing_mask
from kd_grasp_ros.grasp.rectangles import GraspRectangle

CORNELL_DEPTH_SUFFIX = "d.tiff"
JACQUARD_DEPTH_SUFFIX = "_perfect_depth.tiff"
JACQUARD_GRASPS_SUFFIX = "_grasps.txt"


@dataclass
class Scene:
    """One depth image with its positive (and negative) grasp rectangles in full-image pixels."""

    name: str
    depth_path: Path
    positives: list[GraspRectangle] = field(default_factory=list)
    negatives: list[GraspRectangle] = field(default_factory=list)
    source: str = ""

    @property
    def labeled(self) -> bool:
        return bool(self.positives)


def read_depth(path: str | Path) -> np.ndarray:
    """A depth TIFF as float32 metres (HxW); missing depth (NaN, infinities, 0, negative values such as -1)
    becomes 0, the one missing value inside the package."""
    path = Path(path)
    if not path.is_file():
        raise GraspDataError(f"depth image not found: {path}")
    depth = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if depth is None:  # OpenCV could not decode it; tifffile handles other TIFF flavours
        try:
            depth = tifffile.imread(path)
        except Exception as exc:
            raise GraspDataError(f"cannot read depth image {path}: {exc}") from exc
    depth = np.squeeze(np.asarray(depth))
    if depth.ndim != 2 or not np.issubdtype(depth.dtype, np.number):
        raise GraspDataError(f"{path}: expected a 2-D numeric depth image, got {depth.dtype} {depth.shape}")
    depth = depth.astype(np.float32)
    depth[missing_mask(depth)] = 0.0
    return depth


def read_cornell_rectangles(path: str | Path) -> list[GraspRectangle]:
    """Rectangles of a Cornell cpos/cneg file, as (row, col) corners; NaN rectangles dropped whole."""
    path = Path(path)
    try:
        lines = [ln.strip() for ln in path.read_text().splitlines() if ln.strip()]
    except OSError as exc:
        raise GraspDataError(f"cannot read rectangle file {path}: {exc}") from exc
    if len(lines) % 4:
        raise GraspDataError(f"{path}: {len(lines)} point lines, expected a multiple of 4")
    rects = []
    for i in range(0, len(lines), 4):
        try:
            xy = np.array([[float(v) for v in ln.split()] for ln in lines[i : i + 4]])
        except ValueError as exc:
            raise GraspDataError(f"{path}: line {i + 1}: expected 'x y' numbers: {exc}") from exc
        if xy.shape != (4, 2):
            raise GraspDataError(f"{path}: lines {i + 1}-{i + 4}: expected 4 lines of 'x y'")
        if np.all(np.isfinite(xy)):
            rects.append(GraspRectangle(xy[:, ::-1]))
    return rects


def read_jacquard_rectangles(path: str | Path) -> list[GraspRectangle]:
    """Rectangles of a Jacquard `_grasps.txt` file (x;y;theta_deg;w;h per line)."""
    path = Path(path)
    rects = []
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            x, y, theta, w, h = (float(v) for v in line.strip().split(";"))
        except ValueError as exc:
            raise GraspDataError(f"{path}:{n}: expected 'x;y;theta;w;h', got {line!r}") from exc
        if all(np.isfinite([x, y, theta, w, h])):
            rects.append(GraspRectangle.from_grasp((y, x), -np.deg2rad(theta), w, h))
    return rects


def _depth_files(root: Path, suffix: str) -> list[Path]:
    if not root.is_dir():
        raise GraspDataError(f"dataset directory not found: {root}")
    files = sorted(p for p in root.rglob(f"*{suffix}") if p.is_file())
    if not files:
        raise GraspDataError(f"no '*{suffix}' depth images under {root}")
    return files


def load_cornell_scenes(root: str | Path) -> list[Scene]:
    """Every scene under root (searched recursively), sorted by path."""
    root = Path(root)
    scenes = []
    for depth_path in _depth_files(root, CORNELL_DEPTH_SUFFIX):
        prefix = str(depth_path)[: -len(CORNELL_DEPTH_SUFFIX)]
        pos, neg = Path(prefix + "cpos.txt"), Path(prefix + "cneg.txt")
        scenes.append(
            Scene(
                name=Path(prefix).name,
                depth_path=depth_path,
                positives=read_cornell_rectangles(pos) if pos.exists() else [],
                negatives=read_cornell_rectangles(neg) if neg.exists() else [],
                source=str(root),
            )
        )
    return scenes


def load_jacquard_scenes(root: str | Path) -> list[Scene]:
    """Every Jacquard scene under root (searched recursively), sorted by path."""
    root = Path(root)
    scenes = []
    for depth_path in _depth_files(root, JACQUARD_DEPTH_SUFFIX):
        prefix = str(depth_path)[: -len(JACQUARD_DEPTH_SUFFIX)]
        grasps = Path(prefix + JACQUARD_GRASPS_SUFFIX)
        scenes.append(
            Scene(
                name=Path(prefix).name,
                depth_path=depth_path,
                positives=read_jacquard_rectangles(grasps) if grasps.exists() else [],
                source=str(root),
            )
        )
    return scenes


DATASET_LOADERS = {"cornell": load_cornell_scenes, "jacquard": load_jacquard_scenes}


def load_scenes(roots: list[str | Path], kind: str = "cornell") -> list[list[Scene]]:
    """Scenes of each dataset directory (one list per directory, each sorted)."""
    if kind not in DATASET_LOADERS:
        raise GraspDataError(f"unknown dataset kind {kind!r}; expected one of {sorted(DATASET_LOADERS)}")
    return [DATASET_LOADERS[kind](r) for r in roots]


SPLITS = ("sorted", "random", "objectwise")  # split methods
PARTS = ("train", "val", "test", "all")  # parts of a split (the --split of every verb)


def split_scenes(
    scenes: list[Scene],
    split: str,
    test_fraction: float = 0.1,
    seed: int = 0,
    fold: int = 0,
) -> tuple[list[Scene], list[Scene]]:
    """(train, test): 'sorted' = first (1 - f) / last f of the sorted list; 'random' = image-wise by seed;
    'objectwise' = fold `fold` of the 5-fold object-wise split of Cornell-01 (cornell_objects.py) as test."""
    if split == "objectwise":
        from kd_grasp_ros.grasp.cornell_objects import N_FOLDS, object_fold

        if not 0 <= fold < N_FOLDS:
            raise GraspDataError(f"fold must be in [0, {N_FOLDS - 1}], got {fold}")
        test = [s for s in scenes if object_fold(s.name) == fold]
        return [s for s in scenes if object_fold(s.name) != fold], test
    n_test = max(1, int(round(len(scenes) * test_fraction))) if scenes else 0
    if split == "sorted":
        return scenes[: len(scenes) - n_test], scenes[len(scenes) - n_test :]
    if split == "random":
        order = np.random.default_rng(seed).permutation(len(scenes))
        test_idx = set(order[:n_test].tolist())
        return (
            [s for i, s in enumerate(scenes) if i not in test_idx],
            [s for i, s in enumerate(scenes) if i in test_idx],
        )
    raise GraspDataError(f"unknown split {split!r}; expected one of {SPLITS}")
