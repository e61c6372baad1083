"""Offscreen rendering of the scene camera: colour, true depth, see-through depth and object ids.

- colour: transparent objects alpha-blended (MuJoCo draws geoms with alpha < 1 blended);
- true depth: every object as a solid surface (the opaque-replica depth ClearGrasp calls ground truth);
- background depth and colour: transparent objects hidden (what a sensor sees through them);
- segmentation: per pixel the object's body index or -1.
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

from kd_grasp_ros.common.errors import KdGraspError
from kd_grasp_ros.sim.objects import OPAQUE_GROUP, TRANSPARENT_GROUP


class RenderError(KdGraspError, RuntimeError):
    """The offscreen renderer could not be created or returned an unexpected image."""


@dataclass
class RenderedViews:
    rgb: np.ndarray  # HxWx3 uint8, RGB order
    rgb_background: np.ndarray  # HxWx3 uint8, transparent objects hidden
    depth_true: np.ndarray  # HxW float32 m
    depth_background: np.ndarray  # HxW float32 m
    body_ids: np.ndarray  # HxW int32 MuJoCo body id of the geom seen, -1 for none


def _scene_option(groups: tuple[int, ...]) -> mujoco.MjvOption:
    opt = mujoco.MjvOption()
    opt.geomgroup[:] = 0
    for g in groups:
        opt.geomgroup[g] = 1
    return opt


class SceneRenderer:
    """Renders one named camera of a model; close() releases the OpenGL context."""

    def __init__(self, model: mujoco.MjModel, camera: str, width: int, height: int):
        try:
            self._renderer = mujoco.Renderer(model, height=height, width=width)
        except Exception as exc:  # noqa: BLE001 - any GL failure is reported the same way
            raise RenderError(
                f"cannot create a {width}x{height} MuJoCo renderer (MUJOCO_GL backend problem?): {exc}"
            ) from exc
        self._model = model
        self._camera = camera
        self._all = _scene_option((0, OPAQUE_GROUP, TRANSPARENT_GROUP))
        self._no_transparent = _scene_option((0, OPAQUE_GROUP))
        self.width, self.height = width, height

    def _render(self, data: mujoco.MjData, option: mujoco.MjvOption) -> np.ndarray:
        self._renderer.update_scene(data, camera=self._camera, scene_option=option)
        return self._renderer.render()

    def rgb(self, data: mujoco.MjData, include_transparent: bool = True) -> np.ndarray:
        return self._render(data, self._all if include_transparent else self._no_transparent).copy()

    def depth(self, data: mujoco.MjData, include_transparent: bool = True) -> np.ndarray:
        self._renderer.enable_depth_rendering()
        try:
            out = self._render(data, self._all if include_transparent else self._no_transparent)
        finally:
            self._renderer.disable_depth_rendering()
        return out.astype(np.float32)

    def body_ids(self, data: mujoco.MjData) -> np.ndarray:
        self._renderer.enable_segmentation_rendering()
        try:
            seg = self._render(data, self._all)
        finally:
            self._renderer.disable_segmentation_rendering()
        geom_ids, obj_types = seg[..., 0], seg[..., 1]
        is_geom = (obj_types == int(mujoco.mjtObj.mjOBJ_GEOM)) & (geom_ids >= 0)
        bodies = np.full(geom_ids.shape, -1, dtype=np.int32)
        bodies[is_geom] = self._model.geom_bodyid[geom_ids[is_geom]]
        return bodies

    def render_views(self, data: mujoco.MjData, with_background: bool = True) -> RenderedViews:
        depth_true = self.depth(data, include_transparent=True)
        rgb = self.rgb(data)
        if with_background:
            background, rgb_background = self.depth(data, include_transparent=False), self.rgb(data, False)
        else:
            background, rgb_background = depth_true, rgb
        return RenderedViews(
            rgb=rgb,
            rgb_background=rgb_background,
            depth_true=depth_true,
            depth_background=background,
            body_ids=self.body_ids(data),
        )

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
