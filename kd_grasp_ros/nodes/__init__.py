"""The ROS 2 nodes of kd_grasp_ros: thin shells over the plain modules (one node class per file)."""
