"""The numbers of the GG-CNN method, defined once and imported everywhere else."""

from __future__ import annotations

from kd_grasp_ros.common.parameter_files import section

# Network input and output side (pixels): depth crops are 300x300.
NETWORK_INPUT_SIZE = 300

# Crop of the deployed detector (node, demo, replay, pipeline bench; its value is the node's
# `crop_size` in config/grasp_detection.yaml), resized to NETWORK_INPUT_SIZE: a
# 640x480 D435 about 0.7 m from the table sees the reachable workspace, objects included, within about
# 384 px around the image centre; a 300 px crop cuts off objects near its edges. 384 was chosen in
# closed-loop simulation on validation scenes (seed 1000, grasp_student_v1 + depth_student) against
# 300, 360 and 432 px, set through `crop_size` in a demo YAML
# (`kd-grasp trials --config <yaml> --seed 1000 --n 20 ...`). Those runs' summaries were not kept,
# so no success rates are quoted here; re-run the command to compare.
DEPLOYED_CROP_SIZE: int = section("grasp_detection.yaml", "grasp_detection_node")["crop_size"]

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
KD_PEAK_TEMPERATURE = 0.05  # softmax temperature of the peak KD term (loss.peak_kd), quality units

# Rectangle metric: a predicted grasp is correct if it overlaps a true one by more than this IoU ...
METRIC_IOU_THRESHOLD = 0.25
# ... and its angle differs by less than this (radians, modulo pi).
METRIC_ANGLE_THRESHOLD = 30.0 / 180.0 * 3.141592653589793

# Augmentation of the reference method: zoom factor drawn from U(ZOOM_MIN, 1), quarter-turn rotations.
ZOOM_MIN = 0.5
