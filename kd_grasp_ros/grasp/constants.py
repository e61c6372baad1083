"""The numbers of the GG-CNN method, defined once and imported everywhere else."""
from __future__ import annotations

# Network input and output side (pixels): depth crops are 300x300.
NETWORK_INPUT_SIZE = 300

# Crop of the deployed detector (node, demo, replay, pipeline bench), resized to NETWORK_INPUT_SIZE: a
# 640x480 D435 about 0.7 m from the table sees the reachable workspace, objects included, within about
# 384 px around the image centre; a 300 px crop cuts off objects near its edges. Chosen in closed-loop
# simulation on validation scenes (seed 1000, 20 per row, grasp_student_v1 + depth_student): single
# opaque 9/20 (300), 13/20 (360), 13/20 (384), 12/20 (432); clutter transparent 17, 16, 17, 16 of 20.
DEPLOYED_CROP_SIZE = 384

# Grasp width (rectangle length along the jaw axis) is learned as width_px / WIDTH_SCALE_PX, clipped.
WIDTH_SCALE_PX = 150.0

# Output channels of every GG-CNN variant, in this order.
OUTPUT_NAMES = ("quality", "cos", "sin", "width")

# Post-processing of the reference method.
QUALITY_SIGMA = 2.0
ANGLE_SIGMA = 2.0
WIDTH_SIGMA = 1.0
PEAK_MIN_DISTANCE = 20
PEAK_THRESHOLD = 0.2

# Rectangle metric: a predicted grasp is correct if it overlaps a true one by more than this IoU ...
METRIC_IOU_THRESHOLD = 0.25
# ... and its angle differs by less than this (radians, modulo pi).
METRIC_ANGLE_THRESHOLD = 30.0 / 180.0 * 3.141592653589793

# Augmentation of the reference method: zoom factor drawn from U(ZOOM_MIN, 1), quarter-turn rotations.
ZOOM_MIN = 0.5
