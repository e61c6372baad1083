"""ROS-free glue of the node pipeline: frame sync and checks, grasp filtering, pictures, test scenes."""
