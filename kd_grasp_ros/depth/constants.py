"""The depth-completion constants, defined once and imported everywhere else."""

from __future__ import annotations

# Working range of the depth camera (metres); raw depth outside it is treated as missing and
# completed depth is clipped to it.
DEPTH_RANGE_M: tuple[float, float] = (0.1, 3.0)

# Network input size (width, height) used for training, evaluation and the ROS node by default.
INPUT_SIZE: tuple[int, int] = (320, 240)

# The official ClearGrasp evaluation resolution (width, height); ground truth is resized with nearest.
OFFICIAL_EVAL_SIZE: tuple[int, int] = (256, 144)

# Thresholds t of the ClearGrasp accuracy metrics delta_t = % of pixels with max(d/d*, d*/d) < t.
DELTA_THRESHOLDS: tuple[float, ...] = (1.05, 1.10, 1.25)

# Colour normalisation applied to uint8 RGB before either network: (x / 255 - mean) / std.
RGB_MEAN: float = 0.45
RGB_STD: float = 0.25

# Both networks work at 1/16 resolution at their coarsest; inputs are padded to a multiple of this.
SIZE_MULTIPLE: int = 16

# Checkpoint file name shipped in models/ (no depth teacher ships: see models/depth_student.md).
STUDENT_WEIGHTS = "depth_student.pt"

# Split of a scene list sorted by name: the last TEST_FRACTION is test, the VAL_FRACTION before it val.
TEST_FRACTION: float = 0.10
VAL_FRACTION: float = 0.10

# The networks' output (preprocess.compose_depth): a bounded log-depth correction to the classical fill
# and its confidence. |correction| <= MAX_CORRECTION_LOG (0.4: the completed depth stays within
# 0.67x..1.49x the fill); a correction is trusted only where it is locally consistent: its standard
# deviation over CONSISTENCY_WINDOW^2 pixels, divided by CONSISTENCY_STD_LOG, enters exp(-x^2). 5x5:
# noise that saturates the correction at +-MAX_CORRECTION_LOG agrees in sign over 3x3 pixels once in
# 256 pixels, over 5x5 once in 16 million.
OUTPUT_CHANNELS: int = 2
MAX_CORRECTION_LOG: float = 0.4
CONSISTENCY_STD_LOG: float = 0.03
CONSISTENCY_WINDOW: int = 5

# The classical fill (fallback.py): raw depth kept where valid, holes filled by OpenCV Navier-Stokes
# inpainting at FILL_SCALE x the network size with radius FILL_RADIUS_PX, then upsampled linearly.
FILL_SCALE: float = 0.5
FILL_RADIUS_PX: int = 3
NO_DEPTH_MODEL = (
    "none"  # a depth model setting meaning: no depth completion, the grasp network reads raw depth
)
