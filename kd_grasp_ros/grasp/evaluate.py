"""Rectangle-metric evaluation of a grasp network on scenes (no augmentation, reference crop)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from tqdm import tqdm

from kd_grasp_ros.common.grasp_types import ImageGrasp
from kd_grasp_ros.grasp.data import Scene
from kd_grasp_ros.grasp.metrics import grasp_success
from kd_grasp_ros.grasp.postprocess import decode_maps, find_grasps
from kd_grasp_ros.grasp.preprocess import Sample, make_sample
from kd_grasp_ros.grasp.torch_data import DepthCache


@dataclass
class SceneResult:
    """The outcome on one scene, kept for reports and pictures."""

    scene: Scene
    sample: Sample
    grasps: list[ImageGrasp]
    success: bool
    maps: object = None


@dataclass
class EvalResult:
    accuracy: float
    n: int
    per_scene: list[SceneResult] = field(default_factory=list)


@torch.no_grad()
def evaluate(
    model: torch.nn.Module,
    scenes: list[Scene],
    cache: DepthCache | None = None,
    keep_maps: bool = False,
    progress: bool = False,
    angle_smoothing: str = "reference",
    device: str = "cpu",
) -> EvalResult:
    """Top-1 rectangle-metric accuracy over labeled scenes (unlabeled ones are skipped)."""
    model.eval()
    cache = cache or DepthCache()
    results = []
    labeled = [s for s in scenes if s.labeled]
    for scene in tqdm(labeled, desc="eval", disable=not progress, leave=False):
        sample = make_sample(cache.get(scene), scene.positives)
        out = model(torch.from_numpy(sample.depth)[None, None].to(device)).cpu()
        maps = decode_maps(out[0], angle_smoothing)
        grasps = find_grasps(maps, max_grasps=1)
        results.append(
            SceneResult(
                scene, sample, grasps, grasp_success(grasps, sample.rectangles), maps if keep_maps else None
            )
        )
    n = len(results)
    return EvalResult(accuracy=sum(r.success for r in results) / n if n else 0.0, n=n, per_scene=results)
