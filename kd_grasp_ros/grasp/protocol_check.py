"""`kd-grasp grasp protocol`: our rectangle-metric evaluation beside the GG-CNN reference code's variants.

On the same crops and network outputs it scores: our protocol; the reference code's crop centre
(corner mean truncated, not rounded), integer rectangle corners and rasterised-polygon IoU; angle smoothing
on cos/sin; any of the top-5 grasps; IoU or angle alone; and how many scenes have no quality peak.
See docs/grasp/evaluation-protocol.md.
"""

from __future__ import annotations

import json

import numpy as np
import torch
from skimage.draw import polygon
from tqdm import tqdm

from kd_grasp_ros.grasp.constants import METRIC_ANGLE_THRESHOLD, METRIC_IOU_THRESHOLD
from kd_grasp_ros.grasp.data import Scene
from kd_grasp_ros.grasp.metrics import grasp_success
from kd_grasp_ros.grasp.postprocess import decode_maps, find_grasps, grasp_rectangle
from kd_grasp_ros.grasp.preprocess import make_sample
from kd_grasp_ros.grasp.rectangles import GraspRectangle, angle_difference
from kd_grasp_ros.grasp.torch_data import DepthCache


def raster_iou(a: GraspRectangle, b: GraspRectangle) -> float:
    """IoU of two rectangles as the reference code computes it: filled polygons on a pixel canvas."""
    rr1, cc1 = polygon(a.points[:, 0], a.points[:, 1])
    rr2, cc2 = polygon(b.points[:, 0], b.points[:, 1])
    if not len(rr1) or not len(rr2) or min(rr1.min(), rr2.min(), cc1.min(), cc2.min()) < 0:
        return a.iou(b)  # off-canvas corner: fall back to the exact polygon IoU
    canvas = np.zeros((max(rr1.max(), rr2.max()) + 1, max(cc1.max(), cc2.max()) + 1))
    canvas[rr1, cc1] += 1
    canvas[rr2, cc2] += 1
    union = np.sum(canvas > 0)
    return float(np.sum(canvas == 2) / union) if union else 0.0


def _raster_success(grasps, truths) -> bool:
    if not grasps:
        return False
    pred = grasp_rectangle(grasps[0])
    return any(
        angle_difference(pred.angle, t.angle) < METRIC_ANGLE_THRESHOLD
        and raster_iou(pred, t) > METRIC_IOU_THRESHOLD
        for t in truths
    )


@torch.no_grad()
def protocol_variants(model: torch.nn.Module, scenes: list[Scene], progress: bool = True) -> dict:
    """{variant: number of successful scenes} and 'n' over the labeled scenes."""
    model.eval()
    cache = DepthCache()
    counts: dict[str, int] = {}

    def add(name: str, ok: bool) -> None:
        counts[name] = counts.get(name, 0) + int(bool(ok))

    labeled = [s for s in scenes if s.labeled]
    for scene in tqdm(labeled, desc="protocol", disable=not progress, leave=False):
        depth = cache.get(scene)
        pts = np.concatenate([r.points for r in scene.positives])
        truncated = (int(pts[:, 0].mean()), int(pts[:, 1].mean()))
        for centre_name, centre in (("", None), ("truncated crop centre, ", truncated)):
            sample = make_sample(depth, scene.positives, center=centre)
            out = model(torch.from_numpy(sample.depth)[None, None])[0]
            for smoothing in ("reference", "vector"):
                grasps = find_grasps(decode_maps(out, smoothing), max_grasps=5)
                top1 = grasps[:1]
                prefix = f"{centre_name}{smoothing} angle smoothing"
                add(f"{prefix}, top-1", grasp_success(top1, sample.rectangles))
                add(f"{prefix}, top-1, raster IoU", _raster_success(top1, sample.rectangles))
                add(f"{prefix}, any of top-5", any(grasp_success([g], sample.rectangles) for g in grasps))
            if centre is None:
                grasps = find_grasps(decode_maps(out, "reference"), max_grasps=1)
                ints = [GraspRectangle(np.round(r.points)) for r in sample.rectangles]
                add("reference angle smoothing, top-1, integer corners", grasp_success(grasps, ints))
                add("no quality peak >= 0.2", not grasps)
                pred = grasp_rectangle(grasps[0]) if grasps else None
                add(
                    "top-1 IoU > 0.25 only",
                    pred is not None and any(pred.iou(t) > METRIC_IOU_THRESHOLD for t in sample.rectangles),
                )
                add(
                    "top-1 angle < 30 deg only",
                    pred is not None
                    and any(
                        angle_difference(pred.angle, t.angle) < METRIC_ANGLE_THRESHOLD
                        for t in sample.rectangles
                    ),
                )
    return {"n": len(labeled), "correct": counts}


def run_protocol(args, scenes: list[Scene]) -> int:
    from kd_grasp_ros.common.resources import resolve_model
    from kd_grasp_ros.grasp.checkpoint import load_model

    torch.set_num_threads(args.threads)
    model, info = load_model(resolve_model(args.model))
    report = protocol_variants(model, scenes)
    report.update(
        {
            "model": args.model,
            "model_name": info["model_cfg"]["name"],
            "data": [str(d) for d in args.data],
            "split": args.split,
            "split_method": args.split_method,
        }
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    for name, k in report["correct"].items():
        print(f"{k:4d}/{report['n']}  {name}")
    print(f"-> {args.out}")
    return 0
