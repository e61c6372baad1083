"""GraspExecutor: one grasp attempt from a GraspPose to a finished (or safely aborted) motion.

    executor = GraspExecutor(cfg)          # dry_run=True by default: plans, never moves
    executor.connect()                     # ur_rtde to cfg.robot_ip (needed for motion)
    report = executor.execute(grasp)       # raises UnsafeGraspError before any motion if unsafe

Order: hand-eye transform -> grasp checks -> plan (IK, yaw) -> plan checks -> on_plan(plan) ->
[dry_run stops here] -> robot readiness -> phases. A protective stop, a lost connection, a cancel or
a timeout mid-motion stops the arm, records the phase as aborted and raises the named error with the
report attached as `err.report`. on_phase(PhaseResult) is called when each phase starts and ends.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from kd_grasp_ros.common.grasp_types import GraspPose
from kd_grasp_ros.common.transforms import transform_to_pose
from kd_grasp_ros.executor.config import ExecutorConfig
from kd_grasp_ros.executor.errors import ExecutorError, RobotConnectionError
from kd_grasp_ros.executor.gripper import RobotiqSocketGripper, make_gripper
from kd_grasp_ros.executor.hand_eye import HandEye
from kd_grasp_ros.executor.planner import GraspPlan, plan_attempt
from kd_grasp_ros.executor.safety import check_grasp, check_plan, check_point
from kd_grasp_ros.executor.ur_link import URLink


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

    def cancel(self) -> None:
        """Ask the running attempt to stop the arm and abort (safe to call from another thread)."""
        self.link.cancel_event.set()

    @property
    def busy(self) -> bool:
        return self._busy.locked()

    # ---- planning ----------------------------------------------------------------------------------
    def plan(self, grasp: GraspPose) -> GraspPlan:
        """Checked plan for a grasp (raises UnsafeGraspError); moves nothing."""
        check_grasp(grasp, self.cfg, self.clock())
        target = self.hand_eye.grasp_in_base_link(grasp)
        check_point("grasp", target, self.cfg)
        start_q = self.link.actual_q() if self.link.connected else np.asarray(self.cfg.home_q)
        plan = plan_attempt(self.cfg, target, grasp.width_m, start_q)
        check_plan(plan, self.cfg)
        return plan

    # ---- execution ---------------------------------------------------------------------------------
    def execute(self, grasp: GraspPose) -> ExecutionReport:
        """Plan, check and run one attempt; see the module docstring for the order and the errors."""
        report = ExecutionReport(
            attempt=next(self._attempts), dry_run=self.cfg.dry_run, t_received_s=time.monotonic()
        )
        if not self._busy.acquire(blocking=False):
            raise ExecutorError("an attempt is already running")
        try:
            try:
                report.plan = self.plan(grasp)
            except ExecutorError as err:
                report.outcome, report.reason = "rejected", str(err)
                err.report = report
                raise
            if self.on_plan is not None:
                self.on_plan(report.plan)
            if self.cfg.dry_run:
                report.outcome = "planned"
                return report
            self.link.cancel_event.clear()
            try:
                self._run(report)
            except ExecutorError as err:
                report.outcome, report.reason = "aborted", str(err)
                err.report = report
                raise
            report.outcome = "succeeded"
            return report
        finally:
            self._busy.release()

    def _emit(self, report: ExecutionReport, phase: str, status: str, detail: str = "") -> None:
        result = PhaseResult(phase, status, time.monotonic() - report.t_received_s, detail=detail)
        if status != "started" and self.link.connected:
            try:
                result.tcp_pose = transform_to_pose(self.link.tcp_base_link())
                result.gripper_closed = self.gripper.is_closed()
            except (ExecutorError, OSError):
                pass
        report.phases.append(result)
        if self.on_phase is not None:
            self.on_phase(result)

    def _run(self, report: ExecutionReport) -> None:
        if not self.link.connected or self.gripper is None:
            raise RobotConnectionError("dry_run is false but the executor is not connected to a robot")
        self.link.check_ready()
        for step in report.plan.steps:
            self._emit(report, step.phase, "started")
            try:
                if step.kind == "gripper":
                    (self.gripper.close(step.width_m) if step.gripper == "close" else self.gripper.open())
                else:
                    if report.t_first_motion_s is None:
                        report.t_first_motion_s = time.monotonic()
                    if step.kind == "move_j":
                        self.link.move_j(step.q, step.speed, step.accel, step.phase)
                    else:
                        self.link.move_l(step.tcp, step.speed, step.accel, step.phase)
            except ExecutorError as err:
                self._emit(report, step.phase, "aborted", str(err))
                raise
            self._emit(report, step.phase, "done")
