"""DistillGrasp-style depth completion for transparent objects (issue 5).

A window-attention teacher (RGB queries/keys, depth values) and a light CNN student distilled from it;
the ClearGrasp data layouts, the ClearGrasp metrics with raw-depth and inpainting baselines, the
`kd-grasp depth` command and `DepthCompleter`, the ROS-free inference API the depth node wraps.
"""
