"""The parallel-jaw gripper assumed by the simulation and the executor's defaults (one place).

A 2-finger gripper with an 85 mm stroke (Robotiq 2F-85 class). The tool centre point (TCP) lies on
the flange z axis, between the fingertip pads, TCP_LENGTH_M from the flange.
"""

GRIPPER_STROKE_M = 0.085
TCP_LENGTH_M = 0.16
FINGER_DEPTH_M = 0.04  # how far the pads reach past the TCP towards the object's centre line
FINGER_THICKNESS_M = 0.008  # pad thickness along the closing axis: room a finger needs beside an object
PAD_WIDTH_M = 0.022  # pad extent along the gripper x axis (across the jaws)
