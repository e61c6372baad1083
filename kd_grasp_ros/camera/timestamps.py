"""Device frame timestamps mapped to the ROS clock: the stamp of a frame is when it was captured.

A RealSense frame carries the time the device captured it (`frame.get_timestamp()`, ms) in one of
three domains: `hardware_clock` (the camera's own clock, arbitrary origin, drifts against the host),
`system_time` (host time when the driver got it) or `global_time` (librealsense's mapping of the
hardware clock to host time, enabled by `rs.option.global_time_enabled`, which RealSenseCamera
switches on where the sensor offers it). ROS nodes downstream check staleness and pair colour with
depth by `header.stamp`, so the stamp must be the capture time on the ROS clock, not the time this
process happened to read the frame.

DeviceClock maps device time t_dev to ROS time as t_dev + offset:
- the offset is estimated once, from the first ESTIMATE_FRAMES frames, as min(t_receive - t_dev):
  a frame is never received before it is captured, so the smallest difference has the least
  transport delay in it;
- it is re-checked on every frame. A frame that would be stamped after it was received
  (t_receive - t_dev < offset: the device clock runs fast against the host) lowers the offset at once.
  If over RECHECK_PERIOD_S every frame arrived more than DRIFT_TOLERANCE_S later than the mapping
  says (the device clock runs slow), the offset rises by the smallest of those lags;
- a jump of the device clock (backwards, e.g. a device reset or a recording starting over, or forward
  by more than MAX_FRAME_GAP_S) starts a new estimate. A delivery stall does not: frames that arrive
  late keep their capture stamps, so the staleness checks downstream drop them; a forward step of
  the host clock is followed by the periodic re-check above.
Every stamp is <= its receive time. No ROS here; camera_node feeds it the node clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ESTIMATE_FRAMES = 10
RECHECK_PERIOD_S = 5.0
DRIFT_TOLERANCE_S = 0.002
MAX_FRAME_GAP_S = 2.0


@dataclass
class DeviceClock:
    """Device-time -> ROS-time mapping for one stream; see the module docstring."""

    estimate_frames: int = ESTIMATE_FRAMES
    recheck_period_s: float = RECHECK_PERIOD_S
    drift_tolerance_s: float = DRIFT_TOLERANCE_S
    max_frame_gap_s: float = MAX_FRAME_GAP_S
    offset_s: float | None = None
    resets: int = 0
    _estimated: int = 0
    _last_device_s: float | None = None
    _window_start_s: float = 0.0
    _window_min_lag_s: float = field(default=float("inf"))

    def stamp(self, device_ms: float, receive_s: float) -> float:
        """The ROS time (s) at which the frame with device timestamp device_ms (ms) was captured,
        given the ROS time receive_s at which it was read."""
        device_s = device_ms / 1000.0
        diff = receive_s - device_s
        if self._jumped(device_s):
            self._reset()
        self._last_device_s = device_s
        if self.offset_s is None or diff < self.offset_s:
            self.offset_s = diff  # first frame, or a frame that would otherwise be stamped in the future
        if self._estimated < self.estimate_frames:
            self._estimated += 1
            self._start_window(device_s)
            return device_s + self.offset_s
        self._window_min_lag_s = min(self._window_min_lag_s, diff - self.offset_s)
        if device_s - self._window_start_s >= self.recheck_period_s:
            if self._window_min_lag_s > self.drift_tolerance_s:
                self.offset_s += self._window_min_lag_s
            self._start_window(device_s)
        return device_s + self.offset_s

    def _jumped(self, device_s: float) -> bool:
        if self._last_device_s is None:
            return False
        gap = device_s - self._last_device_s
        return gap < 0.0 or gap > self.max_frame_gap_s

    def _reset(self) -> None:
        self.resets += 1
        self.offset_s = None
        self._estimated = 0

    def _start_window(self, device_s: float) -> None:
        self._window_start_s = device_s
        self._window_min_lag_s = float("inf")
