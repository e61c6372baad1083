"""How close a student started from the released GG-CNN's channels (grasp/slim_init.py) is to it, before
any training: map MSE (Q, cos 2θ, sin 2θ, width/150) against the teacher on strong views of the
Cornell-01 object-wise fold-0 test scenes, for a random start, the teacher-channel start and the
students in models/ now. The start's channels are chosen on 64 strong views of the training part
(`kd-grasp grasp distill --init-from-teacher` uses the first 64 views of its own epoch 0).

Usage: python scripts/slim_init_start.py [--shared ../shared] [--views 2]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from kd_grasp_ros.grasp.checkpoint import load_model
from kd_grasp_ros.grasp.data import load_cornell_scenes, split_scenes
from kd_grasp_ros.grasp.models import build_model
from kd_grasp_ros.grasp.slim_init import init_from_teacher
from kd_grasp_ros.grasp.torch_data import DepthCache, ViewDataset
from kd_grasp_ros.grasp.train import INIT_VIEWS

REPO = Path(__file__).resolve().parents[1]
MAPS = ("Q", "cos", "sin", "width")


def views(scenes, per_scene: int, seed: int, cache: DepthCache, limit: int | None = None) -> torch.Tensor:
    data = ViewDataset(scenes, views_per_scene=per_scene, seed=seed, cache=cache)
    return torch.stack([data[i]["depth"] for i in range(min(limit or len(data), len(data)))])


def map_mse(model, x: torch.Tensor, target: torch.Tensor) -> str:
    with torch.no_grad():
        err = ((model.eval()(x) - target) ** 2).mean((0, 2, 3))
    return " / ".join(f"{name} {float(e):.4f}" for name, e in zip(MAPS, err, strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--views", type=int, default=2, help="strong views per fold-0 test scene")
    args = parser.parse_args()
    torch.set_num_threads(2)
    teacher, _ = load_model(
        args.shared / "weights/ggcnn-cornell-official/ggcnn_epoch_23_cornell_statedict.pt"
    )
    scenes = load_cornell_scenes(args.shared / "data/cornell-01")
    train, test = split_scenes(scenes, "objectwise", 0.1, 0, 0)
    cache = DepthCache()
    fit_views = views(train, 1, 0, cache, INIT_VIEWS)
    test_views = views(test, args.views, 1, cache)
    with torch.no_grad():
        target = teacher(test_views)
    print(
        f"map MSE against the released GG-CNN on {len(test_views)} strong views of {len(test)} fold-0 scenes"
    )
    for name in ("student_v1", "student_v2"):
        torch.manual_seed(0)
        print(f"{name} random start:          {map_mse(build_model(name), test_views, target)}")
        started = build_model(name)
        init_from_teacher(started, teacher, fit_views)
        print(f"{name} from teacher channels: {map_mse(started, test_views, target)}")
        shipped, _ = load_model(REPO / "models" / f"grasp_{name}.pt")
        print(f"{name} in models/ (trained):    {map_mse(shipped, test_views, target)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
