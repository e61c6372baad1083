"""From an image grasp to a 3-D gripper pose in the camera optical frame.

Convention (REP-103 optical frame: x right, y down, z forward; gripper axes as in grasp_types):
- position: the grasp centre pixel deprojected with a robust depth, the median of the valid depth
  (finite, > 0) in a (2 * DEPTH_WINDOW_RADIUS_PX + 1)^2 window around it. Deprojection honours the
  CameraInfo distortion model (CameraIntrinsics.deproject undistorts the pixel first);
- z (approach) = camera +z: the gripper moves along the viewing direction (top-down for a camera
  looking down at the table);
- y (closing direction of the jaws) lies in the image plane along the jaw axis. The GG-CNN angle θ is
  counter-clockwise on screen from the image x axis with rows pointing down, so the axis in pixels is
  (d_col, d_row) = (cos θ, -sin θ); in the optical frame (pixels scaled by 1/fx, 1/fy) that is
  y ∝ (cos θ / fx, -sin θ / fy, 0) for an undistorted image; with distortion, y is the difference of
  the two jaw-tip pixels, each undistorted and deprojected. θ in (-π/2, π/2] makes y point to the
  image right (x >= 0);
  a parallel-jaw grasp is the same with y flipped;
- x = y × z, so (x, y, z) is right-handed;
- width_m: with `jaw_clearance_m` None, the predicted width (width_px * depth / fx). With a clearance,
  the opening the object needs, measured in the depth image (`measured_opening`): from the grasp
  centre, walk both ways along the jaw axis until the depth leaves the surface under the centre by more
  than EDGE_STEP_M (off the object's edge, or onto something taller) and stays off it for the finger's
  footprint beyond (FINGER_THICKNESS_M + the clearance): a shorter excursion, such as a depth
  completion artefact on a transparent object, is no place for a finger and is walked over (on
  simulated transparent objects the first excursion alone measured openings of 2-3 cm on objects
  5-10 cm wide: docs/demo-trials-bench.md "Jaw opening"). The jaws close symmetrically
  about the centre, so they must open to twice the farther edge (in metres at the centre's depth) plus
  the clearance on each side. An edge not found within half the stroke counts as just beyond it, so
  such a grasp (an object too wide, or no object edge at all) asks for more than the stroke and the
  executor refuses it. GG-CNN's widths are learned from Cornell rectangles, which leave a generous
  margin; the measured opening is what the gripper needs.

Centring (`centred_between_edges`, grasp_detection_node's centre_jaws): GG-CNN's quality peak is often
not midway between the object's edges along the jaw axis (2.1 and 2.5 cm off on a 7.5 cm cylinder and
a 4.2 cm box: `python scripts/grasp_offsets.py 302 2 --no-centre-jaws --no-centre-across --no-turn`),
so one jaw gets all the room and the symmetric opening exceeds the stroke. The centred grasp is moved
along its jaw axis to the midpoint of the two edges measured as above (searched up to a whole stroke
either side), when both are found no farther apart than the stroke and the midpoint lies on the same
surface; its symmetric opening is then the object's width plus the clearance on each side.

Centring across (`across=True`, grasp_detection_node's centre_across) does the same perpendicular to the
jaw axis, on objects no longer than the stroke that way: the pads (22 mm wide) then close on the
object's centre line instead of the curved flank of a cylinder or near a box's corner, where they
squeeze it out. On simulated transparent objects the best grasp sat 11, 28 and 12 mm off the object's
centre across the jaws on seeds 709, 719 and 1016 (a cylinder, two boxes), and 2, 9 and 1 mm once
centred (`python scripts/grasp_offsets.py 709 1 --objects transparent --no-centre-across`, likewise 719
and 1016; without the flag, centred).

Turning (`turned`, grasp_detection_node's turn_to_fit): a grasp whose object is wider than the stroke
along its jaw axis (GG-CNN's angle along a lying cylinder or box) is tried at the angles TURN_STEPS_RAD
away about the same centre; grasp_stage keeps the narrowest opening that fits the stroke.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from kd_grasp_ros.common.grasp_types import GraspPose, ImageGrasp
from kd_grasp_ros.common.intrinsics import CameraIntrinsics
from kd_grasp_ros.grasp.errors import GraspInputError
from kd_grasp_ros.grasp.rectangles import wrap_angle
from kd_grasp_ros.robot.gripper_params import FINGER_THICKNESS_M, GRIPPER_STROKE_M

DEPTH_WINDOW_RADIUS_PX = 2
EDGE_STEP_M = 0.015  # depth change that ends the object along the jaw axis
# the angles a grasp too wide for the stroke is turned by, in the order tried (30 degree steps)
TURN_STEPS_RAD = tuple(np.radians([90.0, 60.0, -60.0, 30.0, -30.0]))


def robust_depth(depth_m: np.ndarray, row: float, col: float, radius: int = DEPTH_WINDOW_RADIUS_PX) -> float:
    """Median of the valid depth in the window around (row, col); GraspInputError if none is valid."""
    if depth_m.ndim != 2:
        raise GraspInputError(f"depth must be HxW, got shape {depth_m.shape}")
    h, w = depth_m.shape
    r, c = int(round(row)), int(round(col))
    if not (0 <= r < h and 0 <= c < w):
        raise GraspInputError(f"grasp centre (row={row:.1f}, col={col:.1f}) outside the {h}x{w} image")
    win = depth_m[max(0, r - radius) : r + radius + 1, max(0, c - radius) : c + radius + 1]
    valid = win[np.isfinite(win) & (win > 0)]
    if valid.size == 0:
        raise GraspInputError(f"no valid depth within {radius} px of the grasp centre (row={r}, col={c})")
    return float(np.median(valid))


def _edge_distance_px(
    depth_m: np.ndarray, row: float, col: float, step: tuple[float, float], z: float, limit: int, hold: int
):
    """Pixels from (row, col) along `step` (unit, in (d_row, d_col)) to the first pixel whose valid depth
    differs from z by more than EDGE_STEP_M and from which every valid pixel of the next `hold` does too;
    None if there is none within `limit` pixels before the image border (pixels without depth are
    passed over)."""
    h, w = depth_m.shape
    t = np.arange(1, limit + hold + 1)
    rows, cols = np.rint(row + t * step[0]).astype(int), np.rint(col + t * step[1]).astype(int)
    inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    n = t.size if inside.all() else int(np.argmin(inside))  # up to the first pixel off the image
    d = depth_m[rows[:n], cols[:n]]
    valid = np.isfinite(d) & (d > 0)
    with np.errstate(invalid="ignore"):
        off = valid & (np.abs(d - z) > EDGE_STEP_M)
    on = valid & ~off
    for i in np.flatnonzero(off[:limit]):
        if not on[i : i + hold].any():
            return int(t[i])
    return None


def _jaw_axis(grasp: ImageGrasp) -> tuple[float, float]:
    """(d_row, d_col) of the jaw axis, unit length."""
    return (-np.sin(grasp.angle), np.cos(grasp.angle))


def _reach_px(intrinsics: CameraIntrinsics, z: float, reach_m: float = 0.5 * GRIPPER_STROKE_M) -> int:
    """Pixels searched for an edge either side of the centre: reach_m at depth z, plus one."""
    return int(np.ceil(reach_m * intrinsics.fx / z)) + 1


def edge_distances_px(
    grasp: ImageGrasp,
    depth_m: np.ndarray,
    intrinsics: CameraIntrinsics,
    z: float,
    footprint_m: float,
    reach_m: float = 0.5 * GRIPPER_STROKE_M,
    axis: tuple[float, float] | None = None,
) -> tuple[int | None, int | None]:
    """Pixels from the grasp centre to the object's edge along +axis and -axis (default: the jaw axis;
    module docstring); None where no edge lies within reach_m. footprint_m: the room beyond an edge
    that must be off the surface."""
    axis = _jaw_axis(grasp) if axis is None else axis
    limit = _reach_px(intrinsics, z, reach_m)
    hold = max(1, int(np.ceil(footprint_m * intrinsics.fx / z)))
    plus = _edge_distance_px(depth_m, grasp.row, grasp.col, axis, z, limit, hold)
    minus = _edge_distance_px(depth_m, grasp.row, grasp.col, (-axis[0], -axis[1]), z, limit, hold)
    return plus, minus


def measured_opening(
    grasp: ImageGrasp,
    depth_m: np.ndarray,
    intrinsics: CameraIntrinsics,
    z: float,
    jaw_clearance_m: float,
    footprint_m: float | None = None,
) -> float:
    """The symmetric jaw opening (metres) the object under the grasp needs, measured in the depth, plus
    jaw_clearance_m on each side (see the module docstring). footprint_m: the room beyond an edge that
    must be off the surface (default FINGER_THICKNESS_M + jaw_clearance_m; 0: the first excursion is
    the edge, the earlier rule that scripts/opening_vs_true_depth.py compares against)."""
    if footprint_m is None:
        footprint_m = FINGER_THICKNESS_M + jaw_clearance_m
    beyond = _reach_px(intrinsics, z) + 1
    sides = [d or beyond for d in edge_distances_px(grasp, depth_m, intrinsics, z, footprint_m)]
    half_px = max(sides) - 0.5  # the edge pixel is off the surface: the surface ends half a pixel before
    return 2.0 * half_px * z / intrinsics.fx + 2.0 * jaw_clearance_m


def centred_between_edges(
    grasp: ImageGrasp,
    depth_m: np.ndarray,
    intrinsics: CameraIntrinsics,
    jaw_clearance_m: float,
    across: bool = False,
) -> ImageGrasp:
    """The grasp moved along its jaw axis (across: along the fingers' width, perpendicular to it) to the
    midpoint of the object's two edges (module docstring); the grasp itself when the edges are not both
    found within a stroke of it, are farther apart than the stroke, or when the midpoint's depth is off
    the surface under the grasp. GraspInputError when there is no valid depth at the grasp centre."""
    z = robust_depth(depth_m, grasp.row, grasp.col)
    d_row, d_col = _jaw_axis(grasp)
    axis = (d_col, -d_row) if across else (d_row, d_col)
    plus, minus = _edges_within_stroke(grasp, depth_m, intrinsics, z, jaw_clearance_m, axis)
    if plus is None or minus is None or plus == minus:
        return grasp
    if plus + minus - 1 > GRIPPER_STROKE_M * intrinsics.fx / z:  # no centre makes it fit the stroke
        return grasp
    shift = 0.5 * (plus - minus)
    row, col = grasp.row + shift * axis[0], grasp.col + shift * axis[1]
    try:
        z_centre = robust_depth(depth_m, row, col)
    except GraspInputError:
        return grasp
    if abs(z_centre - z) > EDGE_STEP_M:
        return grasp
    return dataclasses.replace(grasp, row=float(row), col=float(col))


def _edges_within_stroke(grasp, depth_m, intrinsics, z, jaw_clearance_m, axis=None):
    """edge_distances_px searched a whole stroke either side, with a finger's footprint beyond."""
    footprint_m = FINGER_THICKNESS_M + jaw_clearance_m
    return edge_distances_px(grasp, depth_m, intrinsics, z, footprint_m, reach_m=GRIPPER_STROKE_M, axis=axis)


def edges_fit_stroke(
    grasp: ImageGrasp, depth_m: np.ndarray, intrinsics: CameraIntrinsics, z: float, jaw_clearance_m: float
) -> bool:
    """Whether both of the object's edges along the jaw axis lie within a stroke of the grasp centre
    (surface depth z) and no farther apart than the stroke: a centred grasp at this angle can fit."""
    plus, minus = _edges_within_stroke(grasp, depth_m, intrinsics, z, jaw_clearance_m)
    return plus is not None and minus is not None and plus + minus - 1 <= GRIPPER_STROKE_M * intrinsics.fx / z


def turned(grasp: ImageGrasp, delta_rad: float) -> ImageGrasp:
    """The grasp turned by delta_rad about its centre, its angle wrapped into (-pi/2, pi/2]."""
    return dataclasses.replace(grasp, angle=float(wrap_angle(grasp.angle + delta_rad)))


def image_grasp_to_pose(
    grasp: ImageGrasp,
    depth_m: np.ndarray,
    intrinsics: CameraIntrinsics,
    stamp_s: float = 0.0,
    jaw_clearance_m: float | None = None,
) -> GraspPose:
    """The GraspPose (camera optical frame, intrinsics.frame_id) of an image grasp; see module docstring."""
    z = robust_depth(depth_m, grasp.row, grasp.col)
    position = intrinsics.deproject(grasp.col, grasp.row, z)
    approach = np.array([0.0, 0.0, 1.0])
    half = 0.5 * max(float(grasp.width_px), 1.0)
    d_col, d_row = np.cos(grasp.angle) * half, -np.sin(grasp.angle) * half
    closing = intrinsics.deproject(grasp.col + d_col, grasp.row + d_row, z) - intrinsics.deproject(
        grasp.col - d_col, grasp.row - d_row, z
    )
    closing /= np.linalg.norm(closing)
    x_axis = np.cross(closing, approach)
    rotation = np.column_stack([x_axis, closing, approach])
    width_m = grasp.width_px * z / intrinsics.fx
    if jaw_clearance_m is not None:
        width_m = measured_opening(grasp, depth_m, intrinsics, z, jaw_clearance_m)
    return GraspPose(
        position=position,
        rotation=rotation,
        width_m=float(width_m),
        quality=float(grasp.quality),
        frame_id=intrinsics.frame_id,
        stamp_s=float(stamp_s),
    )
