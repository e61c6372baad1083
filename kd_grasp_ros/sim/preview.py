"""PNG pictures of simulated frames and synthetic samples for people to look at (docs/sim/)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

PREVIEW_WIDTH = 320  # px, pictures are downscaled to this width to keep the files small
MISSING_BGR = (0, 0, 0)


def depth_to_bgr(depth: np.ndarray, near: float, far: float) -> np.ndarray:
    """Depth (m) as a turbo-coloured BGR image; missing (0) pixels are black."""
    scaled = np.clip((depth - near) / max(far - near, 1e-6), 0.0, 1.0)
    bgr = cv2.applyColorMap((255 * (1.0 - scaled)).astype(np.uint8), cv2.COLORMAP_TURBO)
    bgr[depth <= 0] = MISSING_BGR
    return bgr


def draw_rectangles(bgr: np.ndarray, rects: np.ndarray, colour) -> np.ndarray:
    """Grasp rectangles (N x 4 x 2, x = column); the jaw edges (1-2 and 3-0) drawn thicker."""
    out = bgr.copy()
    for rect in np.round(rects).astype(np.int32):
        cv2.polylines(out, [rect.reshape(-1, 1, 2)], True, colour, 1, cv2.LINE_AA)
        cv2.line(out, tuple(rect[1]), tuple(rect[2]), colour, 2, cv2.LINE_AA)
        cv2.line(out, tuple(rect[3]), tuple(rect[0]), colour, 2, cv2.LINE_AA)
    return out


def _small(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    if w <= PREVIEW_WIDTH:
        return img
    size = (PREVIEW_WIDTH, int(round(h * PREVIEW_WIDTH / w)))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA if img.ndim == 3 else cv2.INTER_NEAREST)


def _depth_range(depth: np.ndarray) -> tuple[float, float]:
    valid = depth[depth > 0]
    if valid.size == 0:
        return 0.0, 1.0
    return float(np.percentile(valid, 1)), float(np.percentile(valid, 99))


def save_depth_rgb_pngs(
    rgb: np.ndarray,
    depth_true: np.ndarray,
    depth_raw: np.ndarray,
    out_dir: Path,
    prefix: str,
    positives: np.ndarray | None = None,
    negatives: np.ndarray | None = None,
) -> list[Path]:
    """Write PREFIX_rgb.png (with rectangles if given), PREFIX_depth_true.png and PREFIX_depth_raw.png."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    near, far = _depth_range(depth_true)
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    if negatives is not None:
        bgr = draw_rectangles(bgr, negatives, (40, 40, 220))
    if positives is not None:
        bgr = draw_rectangles(bgr, positives, (40, 200, 40))
    images = {
        "rgb": bgr,
        "depth_true": depth_to_bgr(depth_true, near, far),
        "depth_raw": depth_to_bgr(depth_raw, near, far),
    }
    paths = []
    for name, img in images.items():
        path = out_dir / f"{prefix}_{name}.png"
        cv2.imwrite(str(path), _small(img), [cv2.IMWRITE_PNG_COMPRESSION, 9])
        paths.append(path)
    return paths


def save_frame_pngs(frame, out_dir: Path, prefix: str) -> list[Path]:
    """PNG pictures of a SimWorld frame (colour, true depth, raw depth)."""
    return save_depth_rgb_pngs(frame.rgb, frame.depth_true, frame.depth_raw, out_dir, prefix)
