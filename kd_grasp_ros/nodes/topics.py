"""Topic names of the nodes, defined once (relative names: namespaces and launch remaps apply).

Camera topics follow realsense-ros (`ros2 launch realsense2_camera rs_launch.py align_depth.enable:=true`).
The depth completion and grasp nodes subscribe to generic names that launch files remap to a camera.
"""

from __future__ import annotations

# Published by camera_node / sim_world_node, as realsense-ros names them.
REALSENSE_COLOR = "camera/camera/color/image_raw"
REALSENSE_COLOR_INFO = "camera/camera/color/camera_info"
REALSENSE_ALIGNED_DEPTH = "camera/camera/aligned_depth_to_color/image_raw"
REALSENSE_ALIGNED_DEPTH_INFO = "camera/camera/aligned_depth_to_color/camera_info"
REALSENSE_COLOR_FRAME = "camera_color_optical_frame"

# Inputs of depth_completion_node.
COLOR_IN = "color/image_raw"
DEPTH_IN = "depth/image_raw"
DEPTH_INFO_IN = "depth/camera_info"

# Output of depth_completion_node = input of grasp_detection_node (remap it to raw depth to skip completion).
COMPLETED_DEPTH = "depth_completed/image_raw"
COMPLETED_DEPTH_INFO = "depth_completed/camera_info"
# Beside it: the completion's confidence per pixel (32FC1 in [0, 1]; 0 = the classical fill was kept).
COMPLETED_DEPTH_CONFIDENCE = "depth_completed/confidence"

# Outputs of grasp_detection_node (the executor subscribes to the first three).
GRASP_POSE = "grasp_pose"
GRASP_WIDTH = "grasp_width"
GRASP_QUALITY = "grasp_quality"
GRASP_CANDIDATES = "grasp_candidates"
GRASP_CANDIDATES_INFO = "grasp_candidates_info"
GRASP_MARKERS = "grasp_markers"
GRASP_QUALITY_IMAGE = "grasp_quality_image"

# Shared by all nodes.
DIAGNOSTICS = "diagnostics"
JOINT_STATES = "joint_states"
CLOCK = "/clock"
