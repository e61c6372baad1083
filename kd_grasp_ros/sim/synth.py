"""One synthetic RGB-D sample: random scene, settled by physics, rendered, corrupted, grasp-labelled.

Deterministic: scene `index` of a dataset with seed `seed` uses np.random.default_rng([seed, index]),
so any subset of scenes can be generated in any order or in parallel with identical results.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import mujoco
import numpy as np

from kd_grasp_ros.common.intrinsics import CameraIntrinsics
from kd_grasp_ros.robot.gripper_params import PAD_WIDTH_M
from kd_grasp_ros.sim.camera import CameraGeometryError, optical_transform, project_points
from kd_grasp_ros.sim.config import SimConfig
from kd_grasp_ros.sim.grasp_candidates import GraspCandidate, RayCaster, sample_candidates
from kd_grasp_ros.sim.grasp_check import GraspVerifier
from kd_grasp_ros.sim.physics import get_state, settle
from kd_grasp_ros.sim.rendering import SceneRenderer
from kd_grasp_ros.sim.scene import CAMERA_NAME, SceneSpec, build_scene_xml, sample_scene
from kd_grasp_ros.sim.sensor_images import sensor_images


@dataclass
class GraspLabelStats:
    candidates: int = 0
    analytic_ok: int = 0
    physics_checked: int = 0
    physics_ok: int = 0


@dataclass
class SynthSample:
    """Images (RGB order, metres) and Cornell-style rectangles (N x 4 x 2, x = column) of one scene."""

    index: int
    rgb: np.ndarray
    depth_true: np.ndarray
    depth_raw: np.ndarray
    transparent_mask: np.ndarray
    intrinsics: CameraIntrinsics
    T_base_camera: np.ndarray  # 4x4 camera optical frame in the base frame
    positives: np.ndarray
    negatives: np.ndarray
    mode: str
    objects: list[dict] = field(default_factory=list)
    stats: GraspLabelStats = field(default_factory=GraspLabelStats)


def scene_rng(seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, index])


def grasp_rectangle(cand: GraspCandidate, t_base_camera: np.ndarray, intr: CameraIntrinsics) -> np.ndarray:
    """4 x 2 pixel corners: the first edge runs along the jaws (length = opening), like Cornell."""
    c = cand.closing
    side = np.array([-c[1], c[0], 0.0])
    centre = np.array([cand.tcp[0], cand.tcp[1], cand.top_z])
    w, j = cand.opening / 2.0, PAD_WIDTH_M / 2.0
    corners = [
        centre - c * w - side * j,
        centre + c * w - side * j,
        centre + c * w + side * j,
        centre - c * w + side * j,
    ]
    return project_points(np.array(corners), t_base_camera, intr)


def _label_grasps(
    cfg: SimConfig, model, data, scene: SceneSpec, visible: set[str], state, rng, stats: GraspLabelStats
) -> list[GraspCandidate]:
    caster = RayCaster(model, data)
    cands: list[GraspCandidate] = []
    for obj in scene.objects:
        if obj.name in visible:
            cands += sample_candidates(caster, data, obj, cfg.table.top_z, cfg.grasps, rng)
    stats.candidates = len(cands)
    good = [c for c in cands if c.analytic_ok]
    stats.analytic_ok = len(good)
    verifier = GraspVerifier(model, data, state, cfg.grasps)
    for i in rng.permutation(len(good))[: cfg.grasps.max_physics_checks]:
        good[i].physics_ok = verifier.check(good[i])
    checked = [c for c in good if c.physics_ok is not None]
    stats.physics_checked = len(checked)
    stats.physics_ok = sum(c.physics_ok for c in checked)
    # Analytic positives beyond the physics budget are unverified: neither positive nor negative.
    return [c for c in cands if not c.analytic_ok or c.physics_ok is not None]


def generate_sample(
    cfg: SimConfig,
    seed: int,
    index: int,
    transparent_ratio: float,
    mode: str | None = None,
    camera_domain: str = "cell",
) -> SynthSample:
    """Build, settle, render and label scene `index` of the dataset with `seed`.

    Synthetic data always uses an eye-to-hand camera and no arm is in view: camera_domain 'cell' jitters
    the configured camera per scene; 'wide' draws a height, a tilt and a RealSense sensor mode per scene
    (config camera.wide_*).
    """
    if cfg.camera.mount != "fixed":
        cfg = dataclasses.replace(cfg, camera=dataclasses.replace(cfg.camera, mount="fixed"))
    rng = scene_rng(seed, index)
    if camera_domain == "wide":
        sensor_mode = cfg.camera.wide_mode_intrinsics(int(rng.integers(len(cfg.camera.wide_modes))))
        cfg = dataclasses.replace(cfg, camera=cfg.camera.with_intrinsics(sensor_mode))
    if mode is None:
        mode = "single" if rng.uniform() < cfg.scene.single_ratio else "cluttered"
    scene = sample_scene(cfg, rng, mode, transparent_ratio, camera_domain)
    model = mujoco.MjModel.from_xml_string(build_scene_xml(cfg, scene, with_arm=False, with_probe=True))
    data = mujoco.MjData(model)
    settle(model, data, [o.name for o in scene.objects], cfg.physics.settle_time)
    state = get_state(model, data)
    intr = cfg.camera.intrinsics
    renderer = SceneRenderer(model, CAMERA_NAME, intr.width, intr.height)
    try:
        views = renderer.render_views(data)
    finally:
        renderer.close()
    body_of = {o.name: model.body(o.name).id for o in scene.objects}
    transparent_ids = [body_of[o.name] for o in scene.objects if o.transparent]
    images = sensor_images(views, transparent_ids, intr.fx, cfg, rng)
    cam = data.cam(CAMERA_NAME)
    t_base_camera = optical_transform(cam.xpos, cam.xmat)
    visible = {name for name, bid in body_of.items() if np.any(views.body_ids == bid)}
    stats = GraspLabelStats()
    cands = _label_grasps(cfg, model, data, scene, visible, state, rng, stats)
    positives, negatives = [], []
    for cand in cands:
        try:
            rect = grasp_rectangle(cand, t_base_camera, intr)
        except CameraGeometryError:
            continue
        u, v = rect.mean(axis=0)
        inside = 0 <= u < intr.width and 0 <= v < intr.height
        if not inside or views.body_ids[int(v), int(u)] != body_of[cand.object_name]:
            continue  # centre not seen on this object from the camera
        (positives if cand.analytic_ok and cand.physics_ok else negatives).append(rect)
    objects = [
        {"name": o.name, "shape": o.shape, "transparent": o.transparent, "pose": _pose_list(data, o.name)}
        for o in scene.objects
    ]
    return SynthSample(
        index=index,
        rgb=images.rgb,
        depth_true=views.depth_true,
        depth_raw=images.depth_raw,
        transparent_mask=images.transparent_mask,
        intrinsics=intr,
        T_base_camera=t_base_camera,
        positives=np.array(positives, float).reshape(-1, 4, 2),
        negatives=np.array(negatives, float).reshape(-1, 4, 2),
        mode=mode,
        objects=objects,
        stats=stats,
    )


def _pose_list(data, name: str) -> list[list[float]]:
    body = data.body(name)
    t = np.eye(4)
    t[:3, :3] = body.xmat.reshape(3, 3)
    t[:3, 3] = body.xpos
    return t.round(6).tolist()
