"""The simulated work cell: MuJoCo world + emulated UR controller + the real executor over ur_rtde.

Motions run the executor's blocking ur_rtde calls in a worker thread while the calling (main) thread
mirrors the controller into MuJoCo in real time: before every physics step it reads actual_q and the
tool digital output over RTDE (ControllerMirror, its own RTDEReceiveInterface) and makes them the
arm's joint target and the gripper's command; physics is stepped up to the wall clock (a stall longer
than MAX_CATCH_UP_STEPS steps is skipped, not replayed). The emulator runs as a separate
process (EmulatorProcess), the executor is armed (dry_run off) and calibrated with the simulated
camera's exact pose (sim_frames.eye_to_hand_calibration).
"""
from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable

import numpy as np

from kd_grasp_ros.demo.config import DemoConfig
from kd_grasp_ros.demo.sim_frames import eye_to_hand_calibration
from kd_grasp_ros.executor.cancel import AttemptGuard
from kd_grasp_ros.executor.executor import GraspExecutor
from kd_grasp_ros.pipeline.controller_mirror import ControllerMirror
from kd_grasp_ros.robot.emulator_process import EmulatorProcess
from kd_grasp_ros.robot.gripper_params import GRIPPER_STROKE_M
from kd_grasp_ros.robot.ur10e_params import HOME_Q
from kd_grasp_ros.sim.config import SceneConfig, SimConfig
from kd_grasp_ros.sim.world import SimWorld

MAX_CATCH_UP_STEPS = 50  # physics steps per tick at most; a longer stall is dropped, not replayed
IDLE_SLEEP_S = 0.001
HOME_TOLERANCE_RAD = 1e-3
MOTION_JOIN_TIMEOUT_S = 120.0  # a worker motion that outlives this is reported, never waited on forever


class CellError(RuntimeError):
    """The simulated cell could not start, or a motion thread misbehaved."""


class SimulatedCell:
    """Context manager owning the world, the emulator process, the executor and the mirror."""

    def __init__(self, cfg: DemoConfig, sim_cfg: SimConfig):
        if sim_cfg.camera.mount != "fixed":
            raise CellError(f"the demo calibrates eye-to-hand; camera.mount must be 'fixed', got "
                            f"{sim_cfg.camera.mount!r}")
        self.cfg, self.sim_cfg = cfg, sim_cfg
        self.world = SimWorld(sim_cfg)
        self.emulator: EmulatorProcess | None = None
        self.executor: GraspExecutor | None = None
        self.mirror: ControllerMirror | None = None
        self._wall0 = 0.0
        self._steps = 0

    # ---- life cycle ----------------------------------------------------------------------------------
    def __enter__(self) -> SimulatedCell:
        try:
            self.world.reset(seed=self.cfg.seed, scene=self.scene_config(), q=HOME_Q)
            self.emulator = EmulatorProcess().start()
            calibration = eye_to_hand_calibration(self.world.camera_pose())
            self.executor = GraspExecutor(self.cfg.executor_config(self.emulator.host, **calibration))
            self.executor.connect()
            ex_cfg = self.executor.cfg
            self.mirror = ControllerMirror(
                self.emulator.host, ex_cfg.gripper_output, ex_cfg.gripper_close_level
            )
            self.mirror.connect()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.mirror is not None:
            self.mirror.close()
            self.mirror = None
        if self.executor is not None:
            self.executor.disconnect()
            self.executor = None
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None
        self.world.close()

    def scene_config(self, mode: str | None = None, transparent_ratio: float | None = None) -> SceneConfig:
        """The sim's scene section with the demo's object count mode and transparency."""
        return dataclasses.replace(
            self.sim_cfg.scene,
            mode=mode or self.cfg.scene,
            transparent_ratio=self.cfg.transparent_ratio if transparent_ratio is None else transparent_ratio,
        )

    # ---- mirroring -----------------------------------------------------------------------------------
    def _restart_clock(self) -> None:
        self._wall0, self._steps = time.monotonic(), 0

    def _tick(self) -> None:
        """Step physics up to the wall clock, mirroring the controller before every physics step."""
        due = int((time.monotonic() - self._wall0) / self.world.timestep) - self._steps
        if due <= 0:
            time.sleep(IDLE_SLEEP_S)
            return
        for _ in range(min(due, MAX_CATCH_UP_STEPS)):
            state = self.mirror.read()
            self.world.set_joint_targets(state.q)
            self.world.set_gripper(0.0 if state.gripper_closed else GRIPPER_STROKE_M)
            self.world.step()
        self._steps += due

    def run_motion(self, motion: Callable[[], object], name: str) -> object:
        """Run motion() (blocking ur_rtde calls) in a worker thread while mirroring; returns its result.

        The worker's exception, if any, is re-raised here after the mirror has caught up.
        """
        outcome: dict[str, object] = {}

        def worker() -> None:
            try:
                outcome["value"] = motion()
            except BaseException as err:  # handed to the main thread
                outcome["error"] = err

        thread = threading.Thread(target=worker, name=f"motion-{name}", daemon=True)
        self._restart_clock()
        deadline = self._wall0 + MOTION_JOIN_TIMEOUT_S
        thread.start()
        while thread.is_alive():
            if time.monotonic() > deadline:
                self.executor.cancel()
                raise CellError(f"motion '{name}' still running after {MOTION_JOIN_TIMEOUT_S} s; cancelled")
            self._tick()
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("value")

    def mirror_for(self, seconds: float) -> None:
        """Keep mirroring and stepping physics for `seconds` of wall time (the arm holds still)."""
        self._restart_clock()
        end = self._wall0 + seconds
        while time.monotonic() < end:
            self._tick()

    # ---- scenes ----------------------------------------------------------------------------------------
    def go_home(self) -> None:
        """Open the gripper and moveJ the (emulated) arm to HOME_Q, mirrored."""
        ex = self.executor
        at_home = float(np.max(np.abs(ex.link.actual_q() - HOME_Q))) < HOME_TOLERANCE_RAD
        if at_home and not ex.gripper.is_closed():
            return

        def home() -> None:
            guard = AttemptGuard()
            ex.gripper.open(guard, "home")
            ex.link.move_j(HOME_Q, ex.cfg.joint_speed_radps, ex.cfg.joint_accel_radps2, "home", guard)

        self.run_motion(home, "home")

    def new_scene(self, seed: int, scene: SceneConfig) -> None:
        """Home the arm, then a freshly sampled, settled scene with the arm at HOME_Q."""
        self.go_home()
        self.world.reset(seed=seed, scene=scene, q=HOME_Q)
