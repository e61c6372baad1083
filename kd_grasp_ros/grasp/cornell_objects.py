"""Object identities of the Cornell scenes we have (folder 01, pcd0100-pcd0199), for object-wise splits.

The dataset's own object mapping is not in ../shared (no z.txt / background mapping file), so the
grouping below was made by looking at every RGB image (`pcd<NNNN>r.png`): the Cornell recording keeps the
scenes of one object consecutive (3-6 poses each). 25 objects over 100 scenes. Uncertain calls: 109
(black sunglasses after the green pair 106-108) and 136 (black sunglasses after the yellow pair
133-135) are kept with their neighbours; 173 (blue toothbrush) with 174-176. See
docs/grasp/evaluation-protocol.md.
"""

from __future__ import annotations

import re

from kd_grasp_ros.grasp.errors import GraspDataError

# (first scene, last scene, object) with inclusive scene numbers.
CORNELL_01_OBJECTS = (
    (100, 105, "black stapler"),
    (106, 109, "green-black sunglasses"),
    (110, 113, "high-heel shoe"),
    (114, 117, "sneaker"),
    (118, 121, "marker"),
    (122, 125, "computer mouse"),
    (126, 128, "tape roll"),
    (129, 132, "green stick"),
    (133, 136, "yellow sunglasses"),
    (137, 140, "purple box"),
    (141, 144, "blue box"),
    (145, 148, "red cereal box"),
    (149, 152, "small printed box"),
    (153, 156, "glasses"),
    (157, 160, "flashlight"),
    (161, 164, "glasses case"),
    (165, 168, "hairbrush"),
    (169, 172, "spray bottle"),
    (173, 176, "toothbrush"),
    (177, 180, "red toothbrush"),
    (181, 184, "toothpaste"),
    (185, 188, "black swim goggles"),
    (189, 192, "blue swim goggles"),
    (193, 196, "clip"),
    (197, 199, "camera with cable"),
)
N_FOLDS = 5
_SCENE_NUMBER = re.compile(r"pcd(\d{4})$")


def cornell_object_id(scene_name: str) -> int:
    """Index into CORNELL_01_OBJECTS of a scene name such as 'pcd0123'; GraspDataError if unknown."""
    match = _SCENE_NUMBER.search(scene_name)
    if match:
        number = int(match.group(1))
        for i, (first, last, _) in enumerate(CORNELL_01_OBJECTS):
            if first <= number <= last:
                return i
    raise GraspDataError(
        f"no object id known for scene {scene_name!r}: the object-wise split covers the "
        f"Cornell scenes pcd0100-pcd0199 only"
    )


def object_fold(scene_name: str, n_folds: int = N_FOLDS) -> int:
    """Fold of a scene in the object-wise split: objects dealt round-robin, so every scene of one object
    is in the same fold and the object kinds spread over the folds (22/19/20/20/19 scenes)."""
    return cornell_object_id(scene_name) % n_folds
