"""RealSense access without ROS: live devices, recordings, and synthetic recordings for tests."""
