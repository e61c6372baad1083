"""The state of an emulated UR e-Series controller and ur_rtde's control script, reproduced natively.

A test and simulation tool, not a safety system. The control script that ur_rtde uploads is not
interpreted: its register handshake is reproduced here. `output_int_register_<off>` is 1 (ready),
0 (busy with a synchronous command) or 2 (done); command 0 in `input_int_register_<off>` returns the
script to ready. Supported command ids: 1 moveJ, 2 moveJ_IK, 3 moveL, 4 moveL_FK, 29 setTcp,
31 triggerProtectiveStop, 33 stopL, 34 stopJ, 40 getTCPOffset, 255 stopScript. Any other id is
refused: the control script stops with a runtime error (reported on stderr), so the client's call
fails instead of seeming to succeed.

Event log (a test hook, `emulator events` on the dashboard): motion starts, stop requests, the instant
the arm comes to rest, protective stops and refused commands, each with its time.monotonic() stamp
(the same clock in every process of this machine), so tests can count motions after a fault and
measure stop latencies.

Everything is guarded by one lock: RTDE/dashboard threads call the command methods, the 500 Hz stream
thread calls `step` and `snapshot`.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import deque

import numpy as np

from kd_grasp_ros.common.transforms import pose_to_transform, transform_to_pose
from kd_grasp_ros.robot import kinematics
from kd_grasp_ros.robot.motion import ArmBody, JointPath, LinearPath, Motion, Profile
from kd_grasp_ros.robot.rtde_wire import REGISTER_COUNT, parse_register
from kd_grasp_ros.robot.ur10e_params import JOINT_MAX_SPEED

# UR enumerations (RTDE guide).
ROBOT_MODE_RUNNING = 7
SAFETY_MODE_NORMAL = 1
SAFETY_MODE_PROTECTIVE_STOP = 3
RUNTIME_STOPPED = 1
RUNTIME_PLAYING = 2
RUNTIME_PAUSED = 3
SAFETY_BIT_NORMAL = 1 << 0
SAFETY_BIT_PROTECTIVE_STOPPED = 1 << 2
ROBOT_BIT_POWER_ON = 1 << 0
ROBOT_BIT_PROGRAM_RUNNING = 1 << 1
JOINT_MODE_RUNNING = 253

SCRIPT_BUSY, SCRIPT_READY, SCRIPT_DONE = 0, 1, 2
CMD_MOVEJ, CMD_MOVEJ_IK, CMD_MOVEL, CMD_MOVEL_FK = 1, 2, 3, 4
CMD_SET_TCP, CMD_PROTECTIVE_STOP, CMD_STOPL, CMD_STOPJ, CMD_GET_TCP_OFFSET, CMD_STOP_SCRIPT = (
    29,
    31,
    33,
    34,
    40,
    255,
)
ASYNC_RUNNING_BIT = 0x8000
JOINT_SPEED_MARGIN = 2.0  # a path needing more than this times the joint speed limit protective-stops
STOP_DECELERATION = 10.0  # rad/s^2 or m/s^2 used by dashboard `stop` and script stops
EVENT_LOG_LENGTH = 2000


class EmulatedController:
    """Controller state: modes, registers, IO, the moving body and the native control-script state."""

    def __init__(self, body: ArmBody, safety_plane_z: float | None = None, log=sys.stderr):
        self.lock = threading.RLock()
        self.body = body
        self.safety_plane_z = safety_plane_z
        self.log = log
        self.t0 = time.monotonic()
        self.in_int = [0] * REGISTER_COUNT
        self.in_double = [0.0] * REGISTER_COUNT
        self.out_int = [0] * REGISTER_COUNT
        self.out_double = [0.0] * REGISTER_COUNT
        self.digital_out = 0  # standard 0-7, configurable 8-15, tool 16-17
        self.robot_mode = ROBOT_MODE_RUNNING
        self.safety_mode = SAFETY_MODE_NORMAL
        self.runtime_state = RUNTIME_STOPPED
        self.program_name = "<unnamed>"
        self.script_loaded = False
        self.offset = 0
        self.script_state = SCRIPT_READY
        self.flange_from_tcp = np.eye(4)
        self.motion: Motion | None = None
        self.motions_started = 0
        self.async_op = 0
        self.last_q = body.read_q()
        self.qd = np.zeros(6)
        self.protective_stop_reason = ""
        self.last_tcp_z = np.inf
        self.last_step_t = 0.0
        self.events: deque[tuple[float, str, str]] = deque(maxlen=EVENT_LOG_LENGTH)

    def event(self, kind: str, detail: str = "") -> None:
        """Record an event of the log (see the module docstring) at time.monotonic()."""
        self.events.append((time.monotonic(), kind, detail))

    def now(self) -> float:
        return time.monotonic() - self.t0

    def say(self, text: str) -> None:
        print(f"[ur-emulator] {text}", file=self.log, flush=True)

    # ---- program lifecycle -------------------------------------------------------------------
    def load_script(self, name: str) -> None:
        """A script arrived on port 30003: (re)start the control program."""
        with self.lock:
            self._halt()
            if name != "rtde_control":
                self.say(f"script '{name}' is not the ur_rtde control script; it is not run")
                self.runtime_state = RUNTIME_STOPPED
                return
            self.program_name = name
            self.script_loaded = True
            self._start_program()

    def _start_program(self) -> None:
        self.runtime_state = RUNTIME_PLAYING
        self.script_state = SCRIPT_READY
        self.out_int[self.offset] = SCRIPT_READY

    def play(self) -> bool:
        with self.lock:
            if not self.script_loaded or self.safety_mode != SAFETY_MODE_NORMAL:
                return False
            self._start_program()
            return True

    def stop_program(self) -> None:
        with self.lock:
            self.event("stop", "dashboard stop")
            self._halt(STOP_DECELERATION)
            self.runtime_state = RUNTIME_STOPPED
            self.out_int[self.offset] = 0

    def pause_program(self) -> None:
        with self.lock:
            self.event("stop", "dashboard pause")
            self._halt(STOP_DECELERATION)
            if self.runtime_state == RUNTIME_PLAYING:
                self.runtime_state = RUNTIME_PAUSED

    def protective_stop(self, reason: str) -> None:
        """Halt at once, stop the program, latch the protective stop until it is unlocked."""
        with self.lock:
            was_moving = self.motion is not None
            self.motion = None
            self.body.command(self.body.read_q(), np.zeros(6))
            self.event("protective_stop", reason)
            if was_moving:
                self.event("at_rest", "protective stop")
            self.safety_mode = SAFETY_MODE_PROTECTIVE_STOP
            self.runtime_state = RUNTIME_STOPPED
            self.out_int[self.offset] = 0
            self._finish_async()
            self.protective_stop_reason = reason
            self.say(f"protective stop: {reason}")

    def unlock_protective_stop(self) -> None:
        with self.lock:
            self.safety_mode = SAFETY_MODE_NORMAL
            self.protective_stop_reason = ""

    # ---- IO and registers ----------------------------------------------------------------------
    def set_outputs(self, mask: int, value: int, shift: int) -> None:
        with self.lock:
            m = mask << shift
            self.digital_out = (self.digital_out & ~m) | ((value << shift) & m)

    def write_inputs(self, values: dict, command_offset: int | None) -> None:
        """Apply one input data package (name -> value); command_offset marks a control connection."""
        with self.lock:
            for name, value in values.items():
                reg = parse_register(name)
                if reg and reg[0] == "input":
                    if reg[1] == "int":
                        self.in_int[reg[2]] = int(value)
                    elif reg[1] == "double":
                        self.in_double[reg[2]] = float(value)
            pairs = (
                ("standard_digital_output", 0),
                ("configurable_digital_output", 8),
                ("tool_digital_output", 16),
            )
            for name, shift in pairs:
                if f"{name}_mask" in values and name in values:
                    self.set_outputs(int(values[f"{name}_mask"]), int(values[name]), shift)
            if command_offset is not None:
                self.use_command_offset(command_offset)
                self._poll_script()

    def use_command_offset(self, offset: int) -> None:
        """Move script registers 0-2 to offset (24 with FLAG_UPPER_RANGE_REGISTERS, else 0)."""
        with self.lock:
            if offset != self.offset:
                for k in range(3):
                    self.out_int[offset + k], self.out_int[self.offset + k] = self.out_int[self.offset + k], 0
                self.offset = offset

    # ---- the control script ----------------------------------------------------------------------
    def _poll_script(self) -> None:
        if self.runtime_state != RUNTIME_PLAYING:
            return
        cmd = self.in_int[self.offset]
        if self.script_state == SCRIPT_READY and cmd != 0:
            self._execute(cmd)
        elif self.script_state == SCRIPT_DONE and cmd == 0:
            self.script_state = SCRIPT_READY
            self.out_int[self.offset] = SCRIPT_READY

    def _done(self) -> None:
        self.script_state = SCRIPT_DONE
        self.out_int[self.offset] = SCRIPT_DONE

    def _doubles(self, n: int, start: int = 0) -> np.ndarray:
        return np.array(self.in_double[self.offset + start : self.offset + start + n], dtype=float)

    def _execute(self, cmd: int) -> None:
        o = self.offset
        asynchronous = self.in_int[o + 1] == 1
        try:
            if cmd in (CMD_MOVEJ, CMD_MOVEJ_IK):
                target = self._doubles(6)
                if cmd == CMD_MOVEJ_IK:
                    target = kinematics.closest_ik(
                        pose_to_transform(target) @ np.linalg.inv(self.flange_from_tcp), self.body.read_q()
                    )
                self._start_motion(
                    JointPath(self.body.read_q(), target),
                    self.in_double[o + 6],
                    self.in_double[o + 7],
                    asynchronous,
                )
            elif cmd in (CMD_MOVEL, CMD_MOVEL_FK):
                target = self._doubles(6)
                tcp1 = (
                    kinematics.forward(target) @ self.flange_from_tcp
                    if cmd == CMD_MOVEL_FK
                    else pose_to_transform(target)
                )
                tcp0 = kinematics.forward(self.body.read_q()) @ self.flange_from_tcp
                path = LinearPath(tcp0, tcp1, self.flange_from_tcp)
                self._check_linear_path(path)
                self._start_motion(path, self.in_double[o + 6], self.in_double[o + 7], asynchronous)
            elif cmd in (CMD_STOPL, CMD_STOPJ):
                self.event("stop", "stopL" if cmd == CMD_STOPL else "stopJ")
                self._halt(max(self.in_double[o], 1e-3))
                if asynchronous or self.motion is None:
                    self._done()
                else:
                    self.motion.asynchronous = False
                    self._busy()
            elif cmd == CMD_SET_TCP:
                self.flange_from_tcp = pose_to_transform(self._doubles(6))
                self._done()
            elif cmd == CMD_GET_TCP_OFFSET:
                self.out_double[o : o + 6] = transform_to_pose(self.flange_from_tcp)
                self._done()
            elif cmd == CMD_PROTECTIVE_STOP:
                self.protective_stop("triggerProtectiveStop() from the client")
            elif cmd == CMD_STOP_SCRIPT:
                self._halt(STOP_DECELERATION)
                self.runtime_state = RUNTIME_STOPPED
                self.out_int[o] = 0
            else:
                self.event("refused", f"command id {cmd}")
                self._script_error(f"control-script command id {cmd} is not emulated: refused")
        except kinematics.KinematicsError as err:
            self._script_error(f"command {cmd}: {err}")

    def _busy(self) -> None:
        self.script_state = SCRIPT_BUSY
        self.out_int[self.offset] = SCRIPT_BUSY

    def _script_error(self, text: str) -> None:
        """A runtime error in the control script: the program stops (like a real controller)."""
        self.say(f"control script stopped: {text}")
        self.motion = None
        self.runtime_state = RUNTIME_STOPPED
        self.out_int[self.offset] = 0

    def _check_linear_path(self, path: LinearPath, samples: int = 20) -> None:
        q = self.body.read_q()
        for s in np.linspace(0.0, path.length, samples + 1)[1:]:
            q = path.q_at(s, q)

    def _start_motion(self, path, v: float, a: float, asynchronous: bool) -> None:
        if path.kind == "joint" and not kinematics.within_limits(path.q1):
            raise kinematics.KinematicsError(
                f"moveJ target {np.round(path.q1, 4).tolist()} is outside the joint limits"
            )
        self._finish_async()
        profile = Profile.trapezoid(path.length, max(v, 1e-6), max(a, 1e-6))
        self.motion = Motion(path, profile, self.now(), asynchronous)
        self.motions_started += 1
        self.event("motion", path.kind)
        if asynchronous:
            self.async_op = (self.async_op + 1) % 128
            self.out_int[self.offset + 2] = (self.async_op << 24) | ASYNC_RUNNING_BIT
            self._done()
        else:
            self._busy()

    def _finish_async(self) -> None:
        self.out_int[self.offset + 2] = self.async_op << 24

    def _halt(self, deceleration: float | None = None) -> None:
        """Stop the current motion: with a deceleration along its path, or at once."""
        if self.motion is None:
            return
        if deceleration is None:
            self.motion = None
            self.event("at_rest", "halted")
            self._finish_async()
        else:
            self.motion.stop(self.now(), deceleration)

    # ---- the cycle ---------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance the active motion to now and check the safety plane and joint speeds."""
        with self.lock:
            q_prev = self.body.read_q()
            t = self.now()
            dt, self.last_step_t = t - self.last_step_t, t  # speeds use the sampling instants themselves
            if self.motion is not None:
                try:
                    q, finished = self.motion.sample(t, q_prev)
                except kinematics.KinematicsError as err:
                    self._script_error(str(err))
                    return
                qd = (q - q_prev) / dt if dt > 0 else np.zeros(6)
                if np.any(np.abs(qd) > JOINT_SPEED_MARGIN * JOINT_MAX_SPEED):
                    self.protective_stop("joint speed limit exceeded (path through a singularity?)")
                    return
                self.body.command(q, qd)
                if finished:
                    motion, self.motion = self.motion, None
                    self.event("at_rest", "stopped" if motion.stopping else "arrived")
                    self._finish_async()
                    if not motion.asynchronous and self.script_state == SCRIPT_BUSY:
                        self._done()
            else:
                self.body.command(q_prev, np.zeros(6))
            if self.safety_plane_z is not None and self.safety_mode == SAFETY_MODE_NORMAL:
                self._check_safety_plane(q_prev)

    def _tcp_z(self, q: np.ndarray) -> float:
        return float((kinematics.forward(q) @ self.flange_from_tcp)[2, 3])

    def _check_safety_plane(self, q_prev: np.ndarray) -> None:
        """A TCP moving down through the plane raises a protective stop in that cycle (as a UR's safety
        system does); the arm halts where it is, a little past the plane (how far depends on the speed
        and the cycle time). Moving up out of the plane is allowed."""
        z = self._tcp_z(self.body.read_q())
        if z < self.safety_plane_z and z < self.last_tcp_z - 1e-9:
            self.protective_stop(
                f"TCP moving down through the safety plane z = {self.safety_plane_z} m (at z {z:.4f} m)"
            )
        self.last_tcp_z = z

    def snapshot(self) -> dict:
        """Values of the non-register output variables at this instant."""
        with self.lock:
            q = self.body.read_q()
            qd = getattr(self.body, "read_qd", lambda: np.zeros(6))()
            tcp = transform_to_pose(kinematics.forward(q) @ self.flange_from_tcp)
            robot_bits = ROBOT_BIT_POWER_ON | (
                ROBOT_BIT_PROGRAM_RUNNING if self.runtime_state == RUNTIME_PLAYING else 0
            )
            safety_bits = (
                SAFETY_BIT_PROTECTIVE_STOPPED
                if self.safety_mode == SAFETY_MODE_PROTECTIVE_STOP
                else SAFETY_BIT_NORMAL
            )
            return {
                "timestamp": self.now(),
                "actual_q": list(q),
                "target_q": list(q),
                "actual_qd": list(qd),
                "target_qd": list(qd),
                "actual_TCP_pose": tcp,
                "target_TCP_pose": tcp,
                "robot_mode": self.robot_mode,
                "safety_mode": self.safety_mode,
                "safety_status": self.safety_mode,
                "runtime_state": self.runtime_state,
                "robot_status_bits": robot_bits,
                "safety_status_bits": safety_bits,
                "actual_digital_output_bits": self.digital_out,
                "joint_mode": [JOINT_MODE_RUNNING] * 6,
                "speed_scaling": 1.0,
                "target_speed_fraction": 1.0,
                "payload": 0.0,
                "actual_main_voltage": 48.0,
                "actual_robot_voltage": 48.0,
                "joint_temperatures": [30.0] * 6,
                "actual_joint_voltage": [48.0] * 6,
                "output_int": list(self.out_int),
                "output_double": list(self.out_double),
                "input_int": list(self.in_int),
                "input_double": list(self.in_double),
            }
