"""Process lifetime of the executables the launch files start: never outlive the launcher, never hang
on exit.

`ros2 launch` stops its children on SIGINT, but on SIGTERM it exits at once and leaves them running
(orphans, re-parented to init); a SIGKILLed launcher cannot stop anything. `exit_with_parent` asks the
Linux kernel to send this process SIGINT when its parent dies (prctl PR_SET_PDEATHSIG), which takes the
same clean-shutdown path as Ctrl-C. `exit_deadline` bounds the clean-up after a shutdown request: a
clean-up still running after its deadline (a driver blocked on a vanished peer) ends the process with
os._exit, so that a launcher's SIGTERM/SIGKILL escalation is never needed.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # linux/prctl.h
# launch sends SIGTERM 5 s after SIGINT: the clean-up must be over well before.
SHUTDOWN_DEADLINE_S = 4.0
EXIT_CODE_DEADLINE = 3
# After the Python deadline, the kernel ends a process whose clean-up holds the GIL (see exit_deadline);
# 4.0 + 0.5 s is still before launch's SIGTERM.
KERNEL_BACKSTOP_S = 0.5

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

__all__ = [
    "EXIT_CODE_DEADLINE",
    "SHUTDOWN_DEADLINE_S",
    "STOP_SIGNALS",
    "StopRequest",
    "exit_deadline",
    "exit_with_parent",
    "stop_on_signals",
]


class StopRequest:
    """Set by a stop signal; read by the main loop. Deliberately lock-free: a Python signal handler runs
    on the main thread between two bytecodes, possibly while that thread holds a lock the handler would
    take (threading.Event.set() inside Event.wait(), or a second signal inside the first's set()), and
    that deadlocks the process for good. Poll it; never block on it without a timeout."""

    def __init__(self) -> None:
        self.requested = False

    def set(self, *_signal_args) -> None:
        self.requested = True

    def is_set(self) -> bool:
        return self.requested

    def wait(self, poll_s: float) -> None:
        """Return once a stop was requested, looking every `poll_s` seconds."""
        while not self.requested:
            time.sleep(poll_s)


def stop_on_signals(signals: tuple[int, ...] = STOP_SIGNALS) -> StopRequest:
    """A StopRequest set by any of `signals` (instead of KeyboardInterrupt / termination)."""
    stop = StopRequest()
    for sig in signals:
        signal.signal(sig, stop.set)
    return stop


def exit_with_parent(sig: int = signal.SIGINT) -> bool:
    """Get `sig` when the parent process exits (Linux); if it already has, raise `sig` now. Returns
    whether the kernel took the request (False elsewhere than Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        return False
    if os.getppid() == 1:  # the parent died before the request was in place
        signal.raise_signal(sig)
    return True


@contextlib.contextmanager
def exit_deadline(what: str, timeout_s: float = SHUTDOWN_DEADLINE_S, exit_code: int = EXIT_CODE_DEADLINE):
    """Run the block (a clean-up); if it has not finished within `timeout_s`, report it on stderr and end
    the process with `exit_code` without further clean-up.

    The report and exit come from a Python thread, which needs the GIL; a C extension blocked while
    holding it (ur_rtde waiting on a controller that vanished does) would keep that thread from ever
    running. So the kernel is also asked (from the main thread) to end the process with SIGALRM, default
    action, KERNEL_BACKSTOP_S later: no Python code is needed for that.
    """
    finished = threading.Event()

    def watchdog() -> None:
        if not finished.wait(timeout_s):
            print(
                f"{what}: clean-up still running after {timeout_s} s, exiting now",
                file=sys.stderr,
                flush=True,
            )
            with contextlib.suppress(Exception):
                sys.stdout.flush()
            os._exit(exit_code)

    threading.Thread(target=watchdog, name="exit_deadline", daemon=True).start()
    backstop = threading.current_thread() is threading.main_thread()
    if backstop:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.setitimer(signal.ITIMER_REAL, timeout_s + KERNEL_BACKSTOP_S)
    try:
        yield
    finally:
        finished.set()
        if backstop:
            signal.setitimer(signal.ITIMER_REAL, 0.0)
