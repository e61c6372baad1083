"""GraspExecutor: one grasp attempt from a GraspPose to a finished (or safely aborted) motion.

    executor = GraspExecutor(cfg)          # dry_run=True by default: plans, never moves
    executor.connect()                     # ur_rtde to cfg.robot_ip (needed for motion)
    executor.arm()                         # activates a Robotiq gripper (never in dry_run)
    report = executor.execute(grasp, AttemptGuard(token))   # UnsafeGraspError before any motion
    index, plan = executor.plan_first(candidates)           # the first plannable of a frame's grasps
    report = executor.go_home(AttemptGuard(token))          # open, moveJ to home_q: same machinery

Order: hand-eye transform -> grasp checks -> plan (IK, yaw) -> plan checks -> on_plan(plan) ->
[dry_run stops here] -> robot readiness -> phases. The guard (the attempt's own cancel token, made
before planning, and the node's armed state) is checked before every step and in every wait. ANY
failure once motion may have started (a protective stop, a lost connection, a cancel, a disarm, a
timeout, an unexpected exception) stops the arm (`URLink.stop_arm`: stopJ/stopL, else the dashboard
stop), records the phase as aborted and raises a named ExecutorError whose message ends with how the
arm was stopped; the report is attached as `err.report`. on_phase(PhaseResult) is called when each
phase starts and ends. `go_home` runs planner.plan_home (open, moveJ to home_q) through the same
checks, guard and step runner.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from kd_grasp_ros.common.grasp_types import GraspPose
from kd_grasp_ros.common.transforms import transform_to_pose
from kd_grasp_ros.executor.cancel import AttemptGuard
from kd_grasp_ros.executor.config import CONNECTION_SETTINGS, ExecutorConfig
from kd_grasp_ros.executor.errors import (
    CandidatesRejectedError,
    ExecutorError,
    ExecutorFaultError,
    RobotConnectionError,
    UnsafeGraspError,
)
from kd_grasp_ros.executor.gripper import RobotiqSocketGripper, make_gripper
from kd_grasp_ros.executor.hand_eye import HandEye
from kd_grasp_ros.executor.planner import GraspPlan, plan_attempt, plan_home
from kd_grasp_ros.executor.safety import check_grasp, check_plan, check_point, clamp_width
from kd_grasp_ros.executor.ur_link import URLink

HOME_TOLERANCE_RAD = 0.005  # at_home: every joint this close to home_q


@dataclass
class PhaseResult:
    phase: str
    status: str  # "started" | "done" | "aborted"
    t_s: float
    tcp_pose: list | None = None  # measured TCP in base_link, [x, y, z, rx, ry, rz]
    gripper_closed: bool | None = None
    detail: str = ""

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None and v != ""}


@dataclass
class ExecutionReport:
    attempt: int
    dry_run: bool
    outcome: str = "running"  # "planned" | "succeeded" | "rejected" | "aborted"
    reason: str = ""
    plan: GraspPlan | None = None
    phases: list[PhaseResult] = field(default_factory=list)
    t_received_s: float = 0.0
    t_first_motion_s: float | None = None

    def phase(self, name: str, status: str = "done") -> PhaseResult | None:
        for p in reversed(self.phases):
            if p.phase == name and p.status == status:
                return p
        return None


class GraspExecutor:
    """Plans, checks and (unless dry_run) executes grasp attempts on one UR10e."""

    def __init__(
        self,
        cfg: ExecutorConfig,
        clock: Callable[[], float] = time.time,
        on_plan: Callable[[GraspPlan], None] | None = None,
        on_phase: Callable[[PhaseResult], None] | None = None,
    ):
        self.cfg = cfg
        self.clock = clock
        self.on_plan = on_plan
        self.on_phase = on_phase
        self.link = URLink(cfg)
        self.hand_eye = HandEye(cfg)
        self.link.on_tcp_sample = self._record_tcp
        self.gripper = None
        self._attempts = itertools.count(1)
        self._busy = threading.Lock()
        self._current_step = None

    # ---- connection --------------------------------------------------------------------------------
    def connect(self) -> None:
        self.link.connect()
        self.gripper = make_gripper(self.cfg, self.link)
        if isinstance(self.gripper, RobotiqSocketGripper):
            try:
                self.gripper.connect()
            except ExecutorError:
                self.link.disconnect()
                raise
        self.sample_tcp()

    def arm(self) -> None:
        """Make the gripper ready to move: activates a Robotiq, only when dry_run is false."""
        if not self.cfg.dry_run and self.gripper is not None:
            self.gripper.activate()

    def update_config(self, cfg: ExecutorConfig) -> None:
        """Use `cfg` from the next attempt on (one reference swap; a running attempt keeps its plan).

        Settings that need a new connection (see CONNECTION_SETTINGS) must not differ.
        """
        changed = [n for n in CONNECTION_SETTINGS if getattr(cfg, n) != getattr(self.cfg, n)]
        if changed:
            raise ExecutorError(f"{changed} change(s) need a new connection: clean up and configure again")
        self.cfg = self.link.cfg = cfg
        self.hand_eye = HandEye(cfg, self.hand_eye.history)
        if self.gripper is not None:
            self.gripper.cfg = cfg

    def disconnect(self) -> None:
        if self.gripper is not None:
            self.gripper.disconnect()
            self.gripper = None
        self.link.disconnect()

    @property
    def connected(self) -> bool:
        return self.link.connected

    def _record_tcp(self, stamp_robot_s: float, tcp: np.ndarray) -> None:
        self.hand_eye.history.add(self.clock(), tcp)

    def sample_tcp(self) -> None:
        """Add the current TCP pose to the eye-in-hand history (call periodically when idle)."""
        if self.link.connected:
            self.hand_eye.history.add(self.clock(), self.link.tcp_base_link())

    @property
    def busy(self) -> bool:
        return self._busy.locked()

    # ---- planning ----------------------------------------------------------------------------------
    def _start_q(self, start_q=None) -> np.ndarray:
        """`start_q` if given, else the robot's joint angles (home_q when not connected)."""
        if start_q is None:
            start_q = self.link.actual_q() if self.link.connected else self.cfg.home_q
        return np.asarray(start_q, dtype=float)

    def plan(self, grasp: GraspPose, start_q=None) -> GraspPlan:
        """Checked plan for a grasp (raises UnsafeGraspError); moves nothing.

        Starts from `start_q` if given, else the robot's joint angles (home_q when not connected).
        """
        cfg = self.cfg
        grasp = clamp_width(grasp, cfg)
        check_grasp(grasp, cfg, self.clock())
        target = self.hand_eye.grasp_in_base_link(grasp)
        check_point("grasp", target, cfg)
        plan = plan_attempt(cfg, target, grasp.width_m, self._start_q(start_q))
        check_plan(plan, cfg)
        return plan

    def plan_first(self, grasps: Sequence[GraspPose], start_q=None) -> tuple[int, GraspPlan]:
        """(index, checked plan) of the first of `grasps` (best first) that passes every check and plans.

        At most max_candidates are tried, all from the same start. A single candidate tried fails with
        its own UnsafeGraspError, several with CandidatesRejectedError naming each one's reason; any
        other error (a lost connection) ends the search at once. Moves nothing.
        """
        tried = list(grasps)[: self.cfg.max_candidates]
        if not tried:
            raise UnsafeGraspError("no_candidate", "no grasp to plan")
        start_q = self._start_q(start_q)
        rejections = []
        for index, grasp in enumerate(tried):
            try:
                return index, self.plan(grasp, start_q)
            except UnsafeGraspError as err:
                rejections.append((index, err))
        if len(rejections) == 1:
            raise rejections[0][1]
        raise CandidatesRejectedError(rejections)

    def plan_home(self, start_q=None) -> GraspPlan:
        """Checked plan of going home (open, moveJ to home_q) from `start_q` or the robot's joints."""
        cfg = self.cfg
        plan = plan_home(cfg, self._start_q(start_q))
        check_plan(plan, cfg)
        return plan

    def at_home(self) -> bool:
        """Whether every joint is within HOME_TOLERANCE_RAD of home_q and the gripper is open."""
        if not self.link.connected or self.gripper is None:
            raise RobotConnectionError("not connected to a robot: where the arm is cannot be known")
        q = self.link.actual_q()
        near = float(np.max(np.abs(q - np.asarray(self.cfg.home_q)))) <= HOME_TOLERANCE_RAD
        return near and not self.gripper.is_closed()

    # ---- execution ---------------------------------------------------------------------------------
    def execute(
        self, grasp: GraspPose, guard: AttemptGuard | None = None, plan: GraspPlan | None = None
    ) -> ExecutionReport:
        """Plan (unless a checked `plan` of this grasp is given), check and run one attempt.

        See the module docstring for the order and the errors.
        """
        return self._execute(lambda: self.plan(grasp), guard, plan, next(self._attempts))

    def go_home(self, guard: AttemptGuard | None = None, plan: GraspPlan | None = None) -> ExecutionReport:
        """Open the gripper and moveJ to home_q (plan_home unless a checked `plan` is given), with the
        checks, guard and fault handling of an attempt (report.attempt is 0)."""
        return self._execute(self.plan_home, guard, plan, 0)

    def _execute(
        self,
        make_plan: Callable[[], GraspPlan],
        guard: AttemptGuard | None,
        plan: GraspPlan | None,
        attempt: int,
    ) -> ExecutionReport:
        guard = guard or AttemptGuard()
        report = ExecutionReport(attempt=attempt, dry_run=self.cfg.dry_run, t_received_s=time.monotonic())
        if not self._busy.acquire(blocking=False):
            raise ExecutorError("an attempt is already running")
        try:
            try:
                report.plan = plan if plan is not None else make_plan()
                guard.check("plan")
            except ExecutorError as err:
                report.outcome, report.reason = "rejected", str(err)
                err.report = report
                raise
            if self.on_plan is not None and plan is None:
                self.on_plan(report.plan)
            if self.cfg.dry_run:
                report.outcome = "planned"
                return report
            self._run_stopping_on_fault(report, guard)
            report.outcome = "succeeded"
            return report
        finally:
            self._busy.release()

    def _run_stopping_on_fault(self, report: ExecutionReport, guard: AttemptGuard) -> None:
        """_run; any exception stops the arm and becomes a named ExecutorError saying how it stopped."""
        try:
            self._run(report, guard)
        except BaseException as exc:  # noqa: B036 - the arm must stop whatever went wrong
            step = self._current_step
            how = self.link.stop_arm(joint=step is None or step.kind != "move_l")
            err = (
                exc
                if isinstance(exc, ExecutorError)
                else ExecutorFaultError(
                    f"{step.phase if step else 'start'}: unexpected {type(exc).__name__}: {exc}"
                )
            )
            if step is not None:
                self._emit(report, step.phase, "aborted", f"{err}; {how}")
            report.outcome, report.reason = "aborted", f"{err}; {how}"
            err.args = (f"{err}; {how}",)
            err.report = report
            err.stop = how
            if isinstance(exc, ExecutorError):
                raise
            raise err from exc

    def _emit(self, report: ExecutionReport, phase: str, status: str, detail: str = "") -> None:
        result = PhaseResult(phase, status, time.monotonic() - report.t_received_s, detail=detail)
        if status != "started" and self.link.connected:
            try:
                result.tcp_pose = transform_to_pose(self.link.tcp_base_link())
                result.gripper_closed = self.gripper.is_closed()
            except (ExecutorError, OSError, AttributeError):
                pass
        report.phases.append(result)
        if self.on_phase is not None:
            self.on_phase(result)

    def _run(self, report: ExecutionReport, guard: AttemptGuard) -> None:
        self._current_step = None
        if not self.link.connected or self.gripper is None:
            raise RobotConnectionError("dry_run is false but the executor is not connected to a robot")
        guard.check("start")
        self.link.check_ready()
        self.gripper.activate()
        for step in report.plan.steps:
            guard.check(step.phase)
            self._current_step = step
            self._emit(report, step.phase, "started")
            if step.kind == "gripper":
                if step.gripper == "close":
                    self.gripper.close(step.width_m, guard, step.phase)
                else:
                    self.gripper.open(guard, step.phase)
            else:
                if report.t_first_motion_s is None:
                    report.t_first_motion_s = time.monotonic()
                if step.kind == "move_j":
                    self.link.move_j(step.q, step.speed, step.accel, step.phase, guard)
                else:
                    self.link.move_l(step.tcp, step.speed, step.accel, step.phase, guard)
            self._emit(report, step.phase, "done")
        self._current_step = None
