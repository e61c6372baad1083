"""Helpers of the fault-injection suite: what the emulated controller did after a fault, and the table.

Every case injects one fault at a known instant (time.monotonic(), the clock the emulator's event log
uses too) and then reads the emulator's event log: motions started after the fault (must be none),
the first stop request after it and the instant the arm came to rest. With KD_GRASP_FAULT_REPORT=PATH
set, the suite writes every record to PATH (JSON) for `scripts/update_readme_results.py`.
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPORT_ENV = "KD_GRASP_FAULT_REPORT"
RECORDS: list[FaultRecord] = []


@dataclass
class FaultRecord:
    fault: str
    motions_after: int
    stop_request_ms: float | None  # fault -> first stopJ/stopL/dashboard stop the controller received
    at_rest_ms: float | None  # fault -> the arm at rest (None: the arm was not moving)


def record_fault(fault: str, emulator, t_fault: float, settle_s: float = 0.3) -> FaultRecord:
    """Read the emulator's log after a fault (waiting settle_s for late commands) and keep the record."""
    time.sleep(settle_s)
    events = [e for e in emulator.events() if e[0] >= t_fault]
    stops = [t for t, kind, _ in events if kind in ("stop", "protective_stop")]
    rests = [t for t, kind, _ in events if kind == "at_rest"]
    rec = FaultRecord(
        fault=fault,
        motions_after=sum(1 for _, kind, _ in events if kind == "motion"),
        stop_request_ms=(stops[0] - t_fault) * 1e3 if stops else None,
        at_rest_ms=(rests[0] - t_fault) * 1e3 if rests else None,
    )
    RECORDS.append(rec)
    return rec


def write_report() -> None:
    """Write RECORDS to $KD_GRASP_FAULT_REPORT (if set): one row per fault kind with medians."""
    path = os.environ.get(REPORT_ENV)
    if not path or not RECORDS:
        return
    rows = {}
    for rec in RECORDS:
        rows.setdefault(rec.fault, []).append(rec)

    def median(values):
        values = [v for v in values if v is not None]
        return round(statistics.median(values), 1) if values else None

    table = [
        {
            "fault": fault,
            "injected": len(recs),
            "motions_after": sum(r.motions_after for r in recs),
            "median_stop_request_ms": median(r.stop_request_ms for r in recs),
            "median_at_rest_ms": median(r.at_rest_ms for r in recs),
        }
        for fault, recs in rows.items()
    ]
    Path(path).write_text(
        json.dumps(
            {
                "command": f"{REPORT_ENV}={path} python -m pytest test/integration/test_executor_faults.py "
                "test/integration/test_executor_node_faults.py",
                "rows": table,
                "records": [asdict(r) for r in RECORDS],
            },
            indent=1,
        )
        + "\n"
    )


class PhaseTrigger:
    """An on_phase callback that calls `inject()` once the named phase is under way.

    Motion phases: once the emulator has started that phase's motion and the arm has moved a little
    (so the fault lands mid-motion); gripper phases: as the phase starts. Records t_fault.
    """

    def __init__(self, phase: str, inject, emulator, link, motion: bool, delay_s: float = 0.1):
        self.phase, self.inject, self.emulator, self.link = phase, inject, emulator, link
        self.motion, self.delay_s = motion, delay_s
        self.t_fault: float | None = None
        self.fired = threading.Event()

    def __call__(self, result) -> None:
        if result.phase == self.phase and result.status == "started" and not self.fired.is_set():
            motions = self.emulator.motions_started() if self.motion else 0  # before the move is sent
            threading.Thread(target=self._fire, args=(motions,), daemon=True).start()

    def _fire(self, motions: int) -> None:
        if self.motion:
            deadline = time.monotonic() + 5.0
            while self.emulator.motions_started() == motions and time.monotonic() < deadline:
                time.sleep(0.005)
        time.sleep(self.delay_s)
        self.t_fault = time.monotonic()
        self.inject()
        self.fired.set()
