"""Student-teacher agreement on held-out views: how much of the teacher's function the student learned.

For every held-out scene, `views` random views (the strong augmentation of augment.py, seeded, so every
model sees the same views) and the plain reference crop. Per view: the MSE of each output map
(quality, cos 2θ, sin 2θ, width/150) between student and teacher, and whether the student's top-1 grasp
matches the teacher's top-1 grasp under the rectangle metric (IoU > 0.25, angle difference < 30°).
Views where the teacher proposes no grasp (no quality peak >= 0.2) are counted but not scored for top-1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm import tqdm

from kd_grasp_ros.grasp.augment import NO_AUGMENTATION, STRONG, AugmentConfig, augmented_view
from kd_grasp_ros.grasp.constants import OUTPUT_NAMES
from kd_grasp_ros.grasp.data import Scene
from kd_grasp_ros.grasp.metrics import rectangle_match
from kd_grasp_ros.grasp.postprocess import decode_maps, find_grasps, grasp_rectangle
from kd_grasp_ros.grasp.preprocess import range_factor, rectangles_center
from kd_grasp_ros.grasp.torch_data import DepthCache


@dataclass
class AgreementResult:
    views: int = 0
    mse: dict = field(default_factory=lambda: {n: 0.0 for n in OUTPUT_NAMES})
    top1_scored: int = 0
    top1_match: int = 0
    teacher_no_grasp: int = 0

    def add(self, student_out: torch.Tensor, teacher_out: torch.Tensor) -> None:
        err = (student_out - teacher_out).square().mean(dim=(-1, -2)).reshape(-1)
        for name, value in zip(OUTPUT_NAMES, err.tolist(), strict=True):
            self.mse[name] += value
        self.views += 1
        teacher_grasps = find_grasps(decode_maps(teacher_out, "vector"), max_grasps=1)
        if not teacher_grasps:
            self.teacher_no_grasp += 1
            return
        student_grasps = find_grasps(decode_maps(student_out, "vector"), max_grasps=1)
        self.top1_scored += 1
        if student_grasps and rectangle_match(
            grasp_rectangle(student_grasps[0]), grasp_rectangle(teacher_grasps[0])
        ):
            self.top1_match += 1

    def summary(self) -> dict:
        n = max(self.views, 1)
        return {
            "views": self.views,
            "mse": {k: v / n for k, v in self.mse.items()},
            "mse_total": sum(self.mse.values()) / n,
            "top1_agreement": self.top1_match / self.top1_scored if self.top1_scored else None,
            "top1_scored": self.top1_scored,
            "top1_match": self.top1_match,
            "teacher_no_grasp": self.teacher_no_grasp,
        }


@torch.no_grad()
def measure_agreement(
    student: torch.nn.Module,
    teacher: torch.nn.Module,
    scenes: list[Scene],
    views: int = 4,
    seed: int = 0,
    cfg: AugmentConfig = STRONG,
    progress: bool = True,
    teacher_range_input: bool = False,
) -> dict:
    """{'augmented': summary over `views` strong views per scene, 'reference': summary of plain crops}.
    teacher_range_input: the student sees z-depth, the teacher the same view as a range image (as trained
    with distill --teacher-range-input)."""
    student.eval()
    teacher.eval()
    cache = DepthCache(as_z="auto") if teacher_range_input else DepthCache()
    results = {"augmented": AgreementResult(), "reference": AgreementResult()}
    for i, scene in enumerate(tqdm(scenes, desc="agreement", disable=not progress, leave=False)):
        depth = cache.get(scene)
        h, w = depth.shape
        factor = range_factor(depth.shape) if teacher_range_input else None
        center = rectangles_center(scene.positives) if scene.labeled else (h / 2, w / 2)
        settings = [("reference", NO_AUGMENTATION, 0)] + [("augmented", cfg, v) for v in range(views)]
        for kind, aug, v in settings:
            rng = np.random.default_rng([seed, i, v])
            x, _, _, teacher_x = augmented_view(rng, depth, [], center, aug, factor)
            batch = torch.from_numpy(x)[None, None]
            teacher_batch = batch if teacher_x is None else torch.from_numpy(teacher_x)[None, None]
            results[kind].add(student(batch)[0], teacher(teacher_batch)[0])
    return {k: r.summary() for k, r in results.items()}


def run_agreement(args, scenes: list[Scene]) -> int:
    from kd_grasp_ros.common.resources import resolve_model
    from kd_grasp_ros.grasp.checkpoint import load_model
    from kd_grasp_ros.grasp.train import load_teacher

    torch.set_num_threads(args.threads)
    student, info = load_model(resolve_model(args.model))
    teacher = load_teacher([str(resolve_model(t)) for t in args.teacher], "cpu")
    report = measure_agreement(
        student,
        teacher,
        scenes,
        views=args.views,
        seed=args.seed,
        teacher_range_input=args.teacher_range_input,
    )
    report.update(
        {
            "model": args.model,
            "model_name": info["model_cfg"]["name"],
            "teacher": args.teacher,
            "data": [str(d) for d in args.data],
            "split_method": args.split_method,
            "split": args.split,
            "fold": getattr(args, "fold", None),
            "scenes": [s.name for s in scenes],
            "views_per_scene": args.views,
            "seed": args.seed,
            "teacher_range_input": args.teacher_range_input,
        }
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    for kind in ("reference", "augmented"):
        r = report[kind]
        top1 = "n/a" if r["top1_agreement"] is None else f"{r['top1_agreement']:.3f}"
        print(
            f"{kind}: {r['views']} views, MSE "
            + ", ".join(f"{k} {v:.4f}" for k, v in r["mse"].items())
            + f"; top-1 agreement {top1} ({r['top1_match']}/{r['top1_scored']})"
        )
    print(f"-> {args.out}")
    return 0
