"""Procedural lathe meshes (solids of revolution about z): bottles, cups and drinking glasses.

A profile is a polyline of (r, z) points from the axis at the bottom round to the axis again; hollow
shapes go up the outer wall, over the rim and down the inner wall. Revolving it gives a closed,
outward-oriented triangle mesh whose origin is the centre of the base.
"""

from __future__ import annotations

import numpy as np

LATHE_SEGMENTS = 28


def bottle_profile(radius: float, height: float, neck_ratio: float) -> np.ndarray:
    """Solid bottle: cylindrical body, shoulder from 60 % to 78 % of the height, neck to the top."""
    neck = radius * neck_ratio
    return np.array(
        [
            (0.0, 0.0),
            (radius * 0.92, 0.0),
            (radius, 0.008),
            (radius, 0.60 * height),
            (neck * 1.15, 0.78 * height),
            (neck, 0.82 * height),
            (neck, height),
            (0.0, height),
        ]
    )


def cup_profile(radius_top: float, radius_bottom: float, height: float, wall: float) -> np.ndarray:
    """Open cup or tumbler with the given wall thickness (a flat base `wall` thick)."""
    return np.array(
        [
            (0.0, 0.0),
            (radius_bottom, 0.0),
            (radius_top, height),
            (radius_top - wall, height),
            (radius_bottom - wall, wall),
            (0.0, wall),
        ]
    )


def revolve(profile: np.ndarray, segments: int = LATHE_SEGMENTS) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (N x 3) and triangles (M x 3) of the profile revolved about z."""
    angles = np.linspace(0.0, 2 * np.pi, segments, endpoint=False)
    vertices: list[np.ndarray] = []
    rings: list[list[int]] = []
    for r, z in profile:
        if r <= 1e-9:
            rings.append([len(vertices)] * segments)
            vertices.append(np.array([0.0, 0.0, z]))
        else:
            start = len(vertices)
            vertices.extend(np.array([r * np.cos(a), r * np.sin(a), z]) for a in angles)
            rings.append(list(range(start, start + segments)))
    faces = []
    for ring_a, ring_b in zip(rings[:-1], rings[1:], strict=True):
        for k in range(segments):
            k1 = (k + 1) % segments
            a0, a1, b0, b1 = ring_a[k], ring_a[k1], ring_b[k], ring_b[k1]
            for tri in ((a0, a1, b1), (a0, b1, b0)):
                if len(set(tri)) == 3:
                    faces.append(tri)
    verts = np.array(vertices)
    tris = np.array(faces, dtype=int)
    if signed_volume(verts, tris) < 0:
        tris = tris[:, ::-1]
    return verts, tris


def signed_volume(vertices: np.ndarray, faces: np.ndarray) -> float:
    """Volume enclosed by a closed triangle mesh (positive for outward-facing triangles)."""
    a, b, c = (vertices[faces[:, i]] for i in range(3))
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)
