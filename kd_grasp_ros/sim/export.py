"""Writers of synthetic samples in the layouts of the real data sets, so one loader reads both.

DIR/cornell/    pcdNNNNd.tiff (true depth, float32 m), pcdNNNNd_raw.tiff (raw sensor depth, 0 = missing),
                pcdNNNNr.png (colour), pcdNNNNcpos.txt / pcdNNNNcneg.txt (4 lines "x y" per rectangle,
                x = column; the first edge runs along the jaws and its length is the grasp width).
DIR/cleargrasp/ NNNNNNNNN-transparent-rgb-img.jpg, -transparent-depth-img.exr (raw sensor depth, m,
                0 = missing), -opaque-depth-img.exr (true depth), -mask.png (transparent objects 0/255),
                camera_intrinsics.yaml (ClearGrasp's keys).
DIR/meta/       NNNNNNNNN.json: camera pose T_base_camera (optical frame), objects, grasp-label counts.
EXR files hold the depth in channels R, G and B (float32, ZIP), like ClearGrasp's real-val EXRs.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np
import OpenEXR
import tifffile

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.common.intrinsics import CameraIntrinsics
from kd_grasp_ros.sim.synth import SynthSample

CORNELL_DIR = "cornell"
CLEARGRASP_DIR = "cleargrasp"
META_DIR = "meta"
JPEG_QUALITY = 95


class ExportError(KdGraspError, OSError):
    """A file could not be written or read back in the expected format."""


def cornell_stem(index: int) -> str:
    return f"pcd{index:04d}"


def cleargrasp_stem(index: int) -> str:
    return f"{index:09d}"


def write_exr_depth(path: Path, depth: np.ndarray) -> None:
    """Depth (HxW float32 m) as an RGB EXR with the depth in every channel."""
    rgb = np.repeat(depth.astype(np.float32)[..., None], 3, axis=2)
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    with OpenEXR.File(header, {"RGB": rgb}) as exr:
        exr.write(str(path))


def format_rectangles(rects: np.ndarray) -> str:
    """Cornell text: 4 lines 'x y' per rectangle."""
    return "".join(f"{x:.2f} {y:.2f}\n" for rect in rects for x, y in rect)


def write_cleargrasp_intrinsics(path: Path, intr: CameraIntrinsics) -> None:
    """camera_intrinsics.yaml with ClearGrasp's keys (xres, yres, fx, fy, cx, cy)."""
    path.write_text(
        "# Camera Intrinsic Parameters (kd_grasp_ros synthetic D435)\n"
        "camera_name: 'D435-sim'\n"
        f"xres: {intr.width}           # Image Width\n"
        f"yres: {intr.height}           # Image Height\n"
        f"fx: {intr.fx}             # Focal length in pixels along width\n"
        f"fy: {intr.fy}             # Focal length in pixels along height\n"
        f"cx: {intr.cx}             # Center of image in pixels along width\n"
        f"cy: {intr.cy}             # Center of image in pixels along height\n"
    )


def _write_image(path: Path, image: np.ndarray, params=()) -> None:
    if not cv2.imwrite(str(path), image, list(params)):
        raise ExportError(f"OpenCV could not write {path}")


def write_sample(out_dir: Path, sample: SynthSample) -> None:
    """All files of one sample (directories are created as needed)."""
    out_dir = Path(out_dir)
    cornell, clear, meta = out_dir / CORNELL_DIR, out_dir / CLEARGRASP_DIR, out_dir / META_DIR
    for d in (cornell, clear, meta):
        d.mkdir(parents=True, exist_ok=True)
    bgr = np.ascontiguousarray(sample.rgb[..., ::-1])
    stem = cornell_stem(sample.index)
    tifffile.imwrite(cornell / f"{stem}d.tiff", sample.depth_true.astype(np.float32), compression="zlib")
    tifffile.imwrite(cornell / f"{stem}d_raw.tiff", sample.depth_raw.astype(np.float32), compression="zlib")
    _write_image(cornell / f"{stem}r.png", bgr)
    (cornell / f"{stem}cpos.txt").write_text(format_rectangles(sample.positives))
    (cornell / f"{stem}cneg.txt").write_text(format_rectangles(sample.negatives))
    cg = cleargrasp_stem(sample.index)
    _write_image(clear / f"{cg}-transparent-rgb-img.jpg", bgr, (cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY))
    write_exr_depth(clear / f"{cg}-transparent-depth-img.exr", sample.depth_raw)
    write_exr_depth(clear / f"{cg}-opaque-depth-img.exr", sample.depth_true)
    _write_image(clear / f"{cg}-mask.png", sample.transparent_mask.astype(np.uint8) * 255)
    intr_file = clear / "camera_intrinsics.yaml"
    if not intr_file.exists():
        write_cleargrasp_intrinsics(intr_file, sample.intrinsics)
    info = {
        "index": sample.index,
        "mode": sample.mode,
        "T_base_camera": sample.T_base_camera.round(9).tolist(),
        "intrinsics": {k: getattr(sample.intrinsics, k) for k in ("width", "height", "fx", "fy", "cx", "cy")},
        "objects": sample.objects,
        "grasp_stats": asdict(sample.stats),
        "positives": len(sample.positives),
        "negatives": len(sample.negatives),
    }
    (meta / f"{cg}.json").write_text(json.dumps(info, indent=1))


def sample_complete(out_dir: Path, index: int) -> bool:
    """Whether the last file write_sample writes for this index exists (for --resume)."""
    return (Path(out_dir) / META_DIR / f"{cleargrasp_stem(index)}.json").exists()
