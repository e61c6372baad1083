"""UR10e grasp executor: grasp -> base-frame target -> safety-checked plan -> ur_rtde motion.

Everything here except ros_messages.py is free of ROS imports; the ROS node
(kd_grasp_ros.nodes.ur_executor_node) is a thin wrapper.
"""
