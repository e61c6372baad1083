"""Shared by the executor tests that move the emulated arm: motion settings that keep each attempt short."""

# ExecutorConfig fields (ur_executor_node parameters) for quick, short motions against the emulator.
FAST_MOTION = {
    "linear_speed_mps": 0.5,
    "linear_accel_mps2": 1.5,
    "joint_speed_radps": 1.5,
    "joint_accel_radps2": 3.0,
    "gripper_settle_s": 0.02,
    "return_home": False,
    "lift_height_m": 0.1,
}
