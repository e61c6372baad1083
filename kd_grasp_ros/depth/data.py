"""ClearGrasp data: the real layout, the synthetic layout, consistent resizing and a deterministic split.

Real layout (ClearGrasp `real-val/d435`, also what our simulator writes): per scene `<id>-transparent-
rgb-img.jpg`, `<id>-transparent-depth-img.exr` (raw sensor depth, metres, 0 = missing),
`<id>-opaque-depth-img.exr` (ground truth), `<id>-mask.png` (transparent objects), one
`camera_intrinsics.yaml` per folder.

Synthetic layout (ClearGrasp `synthetic-*/<object>/`): `rgb-imgs/<id>-rgb.jpg`, `depth-imgs-rectified/
<id>-depth-rectified.exr` (ground truth), `segmentation-masks/<id>-segmentation-mask.png`,
`json-files/<id>-masks.json` (camera field of view). It has no raw sensor depth; as in ClearGrasp's own
training, the raw input is the ground truth with the transparent pixels removed (set to 0).

Resizing: uniform (a 16:9 scene is letterboxed into a 4:3 size exactly as DepthCompleter does it),
colour with area (shrinking) or linear interpolation, depth and masks with nearest, so no depth value
is invented between an object and its background; intrinsics follow with `.scaled`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import yaml

from kd_grasp_ros.common.intrinsics import CameraIntrinsics
from kd_grasp_ros.depth.constants import TEST_FRACTION, VAL_FRACTION
from kd_grasp_ros.depth.errors import DepthDataError
from kd_grasp_ros.depth.letterbox import Letterbox

REAL_RGB_SUFFIX = "-transparent-rgb-img.jpg"
REAL_RAW_SUFFIX = "-transparent-depth-img.exr"
REAL_GT_SUFFIX = "-opaque-depth-img.exr"
REAL_MASK_SUFFIX = "-mask.png"
REAL_INTRINSICS = "camera_intrinsics.yaml"
SYN_DIRS = ("rgb-imgs", "depth-imgs-rectified", "segmentation-masks", "json-files")
SYN_SUFFIXES = ("-rgb.jpg", "-depth-rectified.exr", "-segmentation-mask.png", "-masks.json")
LAYOUTS = ("real", "synthetic")


@dataclass(frozen=True)
class DepthSample:
    """One scene: colour, raw sensor depth, true depth (metres, 0 = missing) and the transparent mask."""

    name: str
    rgb: np.ndarray  # HxWx3 uint8, RGB order
    raw_depth: np.ndarray  # HxW float32 metres, 0 = missing
    gt_depth: np.ndarray  # HxW float32 metres, 0 = invalid
    mask: np.ndarray  # HxW bool, True on transparent objects
    intrinsics: CameraIntrinsics


def read_exr_depth(path: Path) -> np.ndarray:
    """A single-channel float32 depth map from an OpenEXR file (first channel); NaN/inf/negative -> 0."""
    import OpenEXR

    try:
        with OpenEXR.File(str(path)) as exr:
            channels = exr.parts[0].channels
            if not channels:
                raise DepthDataError(f"{path}: EXR file has no channels")
            name = next(
                iter(k for k in ("Y", "Z", "R", "RGB", "RGBA") if k in channels), next(iter(channels))
            )
            pixels = np.asarray(channels[name].pixels)
    except DepthDataError:
        raise
    except Exception as exc:  # OpenEXR raises plain Exceptions for corrupt or missing files
        raise DepthDataError(f"cannot read depth EXR {path}: {exc}") from exc
    if pixels.ndim == 3:
        pixels = pixels[..., 0]
    depth = pixels.astype(np.float32)
    depth[~np.isfinite(depth) | (depth < 0)] = 0.0
    return depth


def read_rgb(path: Path) -> np.ndarray:
    """An HxWx3 uint8 RGB image."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise DepthDataError(f"cannot read colour image {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def read_mask(path: Path) -> np.ndarray:
    """A boolean mask (any non-zero pixel is True) from a PNG."""
    mask = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if mask is None:
        raise DepthDataError(f"cannot read mask {path}")
    if mask.ndim == 3:
        mask = mask.max(axis=2)
    return mask > 0


def read_intrinsics_yaml(path: Path) -> CameraIntrinsics:
    """Intrinsics from a ClearGrasp camera_intrinsics.yaml (xres, yres, fx, fy, cx, cy)."""
    try:
        data = yaml.safe_load(path.read_text())
        return CameraIntrinsics(
            width=int(data["xres"]),
            height=int(data["yres"]),
            fx=float(data["fx"]),
            fy=float(data["fy"]),
            cx=float(data["cx"]),
            cy=float(data["cy"]),
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise DepthDataError(f"{path}: expected a YAML map with xres, yres, fx, fy, cx, cy ({exc})") from exc


def read_intrinsics_json(path: Path, width: int, height: int) -> CameraIntrinsics:
    """Intrinsics of a ClearGrasp synthetic frame from the vertical field of view in its json file."""
    try:
        fov_y = float(json.loads(path.read_text())["camera"]["field_of_view"]["y_axis_rads"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DepthDataError(f"{path}: expected camera.field_of_view.y_axis_rads ({exc})") from exc
    return CameraIntrinsics.from_fov(width, height, float(np.degrees(fov_y)))


def resize_sample(sample: DepthSample, size: tuple[int, int]) -> DepthSample:
    """The sample at size (width, height) without stretching, as DepthCompleter feeds the network
    (letterbox.py): scaled uniformly, colour area/linear, depth and mask nearest; colour and raw depth
    edge-padded, ground truth and mask padded with 0 (the padding is never scored); intrinsics follow."""
    h, w = sample.gt_depth.shape
    if (w, h) == tuple(size):
        return sample
    box = Letterbox((w, h), (int(size[0]), int(size[1])))
    cw, ch = box.content
    nearest = cv2.INTER_NEAREST

    def unpadded(image: np.ndarray) -> np.ndarray:
        out = np.zeros((size[1], size[0]), image.dtype)
        out[:ch, :cw] = cv2.resize(image, (cw, ch), interpolation=nearest)
        return out

    return replace(
        sample,
        rgb=box.to_network(sample.rgb, cv2.INTER_AREA if cw < w else cv2.INTER_LINEAR),
        raw_depth=box.to_network(sample.raw_depth, nearest),
        gt_depth=unpadded(sample.gt_depth),
        mask=unpadded(sample.mask.astype(np.uint8)) > 0,
        intrinsics=replace(sample.intrinsics.scaled(cw, ch), width=int(size[0]), height=int(size[1])),
    )


def _check_shapes(name: str, sample: DepthSample) -> DepthSample:
    shapes = {
        "rgb": sample.rgb.shape[:2],
        "raw": sample.raw_depth.shape,
        "truth": sample.gt_depth.shape,
        "mask": sample.mask.shape,
    }
    if len(set(shapes.values())) != 1:
        raise DepthDataError(f"scene {name}: image sizes differ: {shapes}")
    return sample


def _real_scene(folder: Path, scene_id: str, intrinsics: CameraIntrinsics) -> DepthSample:
    rgb = read_rgb(folder / f"{scene_id}{REAL_RGB_SUFFIX}")
    gt = read_exr_depth(folder / f"{scene_id}{REAL_GT_SUFFIX}")
    raw = read_exr_depth(folder / f"{scene_id}{REAL_RAW_SUFFIX}")
    mask = read_mask(folder / f"{scene_id}{REAL_MASK_SUFFIX}")
    h, w = gt.shape
    if (intrinsics.width, intrinsics.height) != (w, h):
        intrinsics = intrinsics.scaled(w, h)
    return _check_shapes(scene_id, DepthSample(f"{folder.name}/{scene_id}", rgb, raw, gt, mask, intrinsics))


def _synthetic_scene(folder: Path, scene_id: str) -> DepthSample:
    paths = [folder / d / f"{scene_id}{s}" for d, s in zip(SYN_DIRS, SYN_SUFFIXES, strict=True)]
    rgb = read_rgb(paths[0])
    gt = read_exr_depth(paths[1])
    mask = read_mask(paths[2])
    h, w = gt.shape
    intrinsics = read_intrinsics_json(paths[3], w, h)
    raw = np.where(mask, 0.0, gt).astype(np.float32)
    return _check_shapes(scene_id, DepthSample(f"{folder.name}/{scene_id}", rgb, raw, gt, mask, intrinsics))


@dataclass(frozen=True)
class SceneRef:
    """Where one scene lives: its layout, folder and id."""

    layout: str
    folder: Path
    scene_id: str


def discover_scenes(root: Path, layout: str | None = None) -> list[SceneRef]:
    """Every complete scene under root (searched recursively), sorted by folder then id.

    layout: "real", "synthetic" or None for both. Scenes missing one of their files are left out.
    """
    root = Path(root)
    if not root.is_dir():
        raise DepthDataError(f"dataset folder {root} does not exist")
    if layout is not None and layout not in LAYOUTS:
        raise DepthDataError(f"unknown layout {layout!r}; expected one of {LAYOUTS}")
    scenes: list[SceneRef] = []
    if layout in (None, "real"):
        for rgb in root.rglob(f"*{REAL_RGB_SUFFIX}"):
            folder, scene_id = rgb.parent, rgb.name[: -len(REAL_RGB_SUFFIX)]
            needed = [folder / f"{scene_id}{s}" for s in (REAL_RAW_SUFFIX, REAL_GT_SUFFIX, REAL_MASK_SUFFIX)]
            if all(p.is_file() for p in needed):
                scenes.append(SceneRef("real", folder, scene_id))
    if layout in (None, "synthetic"):
        for rgb_dir in root.rglob(SYN_DIRS[0]):
            folder = rgb_dir.parent
            for rgb in rgb_dir.glob(f"*{SYN_SUFFIXES[0]}"):
                scene_id = rgb.name[: -len(SYN_SUFFIXES[0])]
                paths = [folder / d / f"{scene_id}{s}" for d, s in zip(SYN_DIRS, SYN_SUFFIXES, strict=True)]
                if all(p.is_file() for p in paths):
                    scenes.append(SceneRef("synthetic", folder, scene_id))
    return sorted(scenes, key=lambda s: (str(s.folder), s.scene_id))


class ClearGraspDataset(Sequence):
    """The scenes under a folder in either ClearGrasp layout, optionally resized to size (width, height)."""

    def __init__(
        self,
        root: Path,
        layout: str | None = None,
        size: tuple[int, int] | None = None,
        scenes: list[SceneRef] | None = None,
    ):
        self.root = Path(root)
        self.size = size
        self.scenes = discover_scenes(self.root, layout) if scenes is None else list(scenes)
        if not self.scenes:
            raise DepthDataError(
                f"no ClearGrasp scenes (layout {layout or 'real or synthetic'}) under {root}"
            )
        self._intrinsics: dict[Path, CameraIntrinsics] = {}

    def __len__(self) -> int:
        return len(self.scenes)

    def subset(self, indices: Sequence[int]) -> ClearGraspDataset:
        """The same dataset restricted to the given scene indices."""
        return ClearGraspDataset(self.root, size=self.size, scenes=[self.scenes[i] for i in indices])

    def __getitem__(self, index: int) -> DepthSample:
        ref = self.scenes[index]
        if ref.layout == "real":
            if ref.folder not in self._intrinsics:
                self._intrinsics[ref.folder] = read_intrinsics_yaml(ref.folder / REAL_INTRINSICS)
            sample = _real_scene(ref.folder, ref.scene_id, self._intrinsics[ref.folder])
        else:
            sample = _synthetic_scene(ref.folder, ref.scene_id)
        return resize_sample(sample, self.size) if self.size else sample


def split_indices(n: int, part: str) -> list[int]:
    """Deterministic split of n scenes sorted by name: train first, then val, test = the last 10%."""
    n_test = max(1, round(n * TEST_FRACTION)) if n >= 3 else 0
    n_val = max(1, round(n * VAL_FRACTION)) if n >= 3 else 0
    n_train = n - n_test - n_val
    bounds = {
        "train": (0, n_train),
        "val": (n_train, n_train + n_val),
        "test": (n_train + n_val, n),
        "all": (0, n),
    }
    if part not in bounds:
        raise ValueError(f"unknown split {part!r}; expected one of {sorted(bounds)}")
    lo, hi = bounds[part]
    return list(range(lo, hi))
