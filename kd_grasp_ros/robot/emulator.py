"""Emulated UR e-Series controller on one IP address: RTDE, script, dashboard and Robotiq ports.

A test and simulation tool: it lets the unmodified ur_rtde client (rtde_control, rtde_receive,
rtde_io, dashboard_client, RobotiqGripper-style sockets) drive a kinematic UR10e on loopback. It is
not URSim and not a safety system. Run it as its own process (`kd-grasp ur-emulator --host
127.0.0.2`): ur_rtde's pybind11 constructors hold the GIL, so an emulator thread inside the client's
interpreter would deadlock.

Ports (fixed by the client): 30004 RTDE (protocol v2, output/input recipes, a steady stream at the
requested frequency, 500 Hz for e-Series), 30003 script upload, 29999 dashboard, 63352 Robotiq URCap
ASCII protocol. Test hooks on the dashboard (not on a real robot): `emulator protective stop`,
`emulator motions` (how many motions were started so far), `emulator q`, `emulator events` (the
controller's event log as JSON: [time.monotonic(), kind, detail] rows), `emulator stall stream S`
(no RTDE output for S seconds, the controller keeps running: a stalled stream as clients see it).
"""

from __future__ import annotations

import json
import re
import socket
import struct
import sys
import threading
import time

import numpy as np

from kd_grasp_ros.robot import rtde_wire as wire
from kd_grasp_ros.robot.emulated_controller import (
    RUNTIME_PLAYING,
    SAFETY_MODE_PROTECTIVE_STOP,
    EmulatedController,
)
from kd_grasp_ros.robot.motion import ArmBody, KinematicArm
from kd_grasp_ros.robot.ur10e_params import HOME_Q

RTDE_PORT, SCRIPT_PORT, DASHBOARD_PORT, ROBOTIQ_PORT = 30004, 30003, 29999, 63352
CONTROLLER_VERSION = (5, 11, 0, 108249)  # e-Series PolyScope 5.11: 500 Hz, output registers, serial number
POLYSCOPE_VERSION = "URSoftware 5.11.0.108249 (Jan 01 2026)"
SERIAL_NUMBER = "20235500001"
DEFAULT_FREQUENCY_HZ = 500.0
MAX_CATCH_UP_CYCLES = 5  # a late cycle is made up at once unless the loop is this many cycles behind
SOCKET_SEND_TIMEOUT_S = 1.0  # a client that does not read for this long is dropped
ROBOTIQ_SECONDS_FULL_STROKE = 0.2  # emulated finger travel time from open (0) to closed (255)
_SCRIPT_END = re.compile(r"^end\s*$", re.M)
_SCRIPT_DEF = re.compile(r"^def\s+(\w+)\s*\(", re.M)


class _Output:
    def __init__(self, names: list[str], types: list[str], frequency: float):
        self.names, self.types = names, types
        self.struct = wire.recipe_struct(types)
        self.period = 1.0 / max(frequency, 1.0)


class RTDEConnection:
    """One client connection on port 30004: setup, start/pause, and the input data packages."""

    def __init__(self, server: URControllerEmulator, sock: socket.socket):
        self.server, self.sock = server, sock
        self.send_lock = threading.Lock()
        self.inputs: list[tuple[list[str], list[str], struct.Struct]] = []
        self.output: _Output | None = None
        self.started = False
        self.command_offset: int | None = None
        self.next_send = 0.0

    def send(self, message_type: int, payload: bytes = b"") -> None:
        with self.send_lock:
            self.sock.sendall(wire.frame(message_type, payload))

    def serve(self) -> None:
        try:
            while not self.server.stopping.is_set():
                message_type, payload = wire.read_message(self.sock)
                self.handle(message_type, payload)
        except (OSError, ConnectionError, struct.error):
            pass
        finally:
            self.server.drop(self)

    def handle(self, message_type: int, payload: bytes) -> None:
        if message_type == wire.REQUEST_PROTOCOL_VERSION:
            version = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 0
            self.send(message_type, struct.pack(">B", 1 if version == wire.PROTOCOL_VERSION else 0))
        elif message_type == wire.GET_URCONTROL_VERSION:
            self.send(message_type, struct.pack(">IIII", *CONTROLLER_VERSION))
        elif message_type == wire.SETUP_OUTPUTS:
            frequency = struct.unpack(">d", payload[:8])[0]
            names = [n for n in payload[8:].decode().split(",") if n]
            types = [wire.variable_type(n) for n in names]
            if None in types:
                self.send(message_type, b"\x00" + ",".join(t or "NOT_FOUND" for t in types).encode())
                self.server.controller.say(
                    f"unknown RTDE output(s): {[n for n, t in zip(names, types, strict=True) if t is None]}"
                )
                return
            self.output = _Output(names, types, frequency)
            self.send(message_type, b"\x01" + ",".join(types).encode())
        elif message_type == wire.SETUP_INPUTS:
            names = [n for n in payload.decode().split(",") if n]
            types = [wire.variable_type(n) for n in names]
            if None in types:
                self.send(message_type, b"\x00" + ",".join(t or "NOT_FOUND" for t in types).encode())
                return
            self.inputs.append((names, types, wire.recipe_struct(types)))
            if len(self.inputs) == 1:
                reg = wire.parse_register(names[0])
                if reg and reg[:2] == ("input", "int") and reg[2] in (0, 24) and len(names) > 1:
                    self.command_offset = reg[2]
                    self.server.controller.use_command_offset(reg[2])
            self.send(message_type, struct.pack(">B", len(self.inputs)) + ",".join(types).encode())
        elif message_type == wire.START:
            self.started = self.output is not None
            self.send(message_type, b"\x01" if self.started else b"\x00")
        elif message_type == wire.PAUSE:
            self.started = False
            self.send(message_type, b"\x01")
        elif message_type == wire.DATA_PACKAGE:
            recipe_id = payload[0]
            if not 1 <= recipe_id <= len(self.inputs):
                self.server.controller.say(f"data package for unknown input recipe {recipe_id}")
                return
            names, types, st = self.inputs[recipe_id - 1]
            values = wire.unflatten(st.unpack(payload[1 : 1 + st.size]), types)
            self.server.controller.write_inputs(dict(zip(names, values, strict=True)), self.command_offset)

    def pack_output(self, state: dict) -> bytes:
        out = self.output
        values = []
        for name in out.names:
            reg = wire.parse_register(name)
            if reg:
                table = state[f"{reg[0]}_{reg[1]}"] if reg[1] != "bit" else None
                values.append(table[reg[2]] if table is not None else False)
            else:
                values.append(state.get(name, _zero(out.types[len(values)])))
        return wire.frame(wire.DATA_PACKAGE, b"\x01" + out.struct.pack(*wire.flatten(values, out.types)))


def _zero(rtde_type: str):
    return {
        "VECTOR3D": [0.0] * 3,
        "VECTOR6D": [0.0] * 6,
        "VECTOR6INT32": [0] * 6,
        "VECTOR6UINT32": [0] * 6,
        "DOUBLE": 0.0,
        "BOOL": False,
    }.get(rtde_type, 0)


class URControllerEmulator:
    """Listening sockets, client threads and the stream/motion cycle of one emulated controller."""

    def __init__(
        self,
        host: str,
        initial_q=HOME_Q,
        safety_plane_z: float | None = None,
        robotiq: bool = True,
        cycle_hz: float = DEFAULT_FREQUENCY_HZ,
        log=sys.stderr,
        body: ArmBody | None = None,
    ):
        """body: what moves (default a KinematicArm at initial_q; a physics mirror may be passed)."""
        self.host = host
        self.controller = EmulatedController(body or KinematicArm(initial_q), safety_plane_z, log)
        self.cycle_s = 1.0 / cycle_hz
        self.stopping = threading.Event()
        self.stream_paused_until = 0.0  # test hook: no RTDE output is sent before this monotonic time
        self.connections: list[RTDEConnection] = []
        self.conn_lock = threading.Lock()
        self.robotiq_position = 0
        self.robotiq_target = 0
        self.robotiq_activated = False
        self.listeners = [self._listen(RTDE_PORT), self._listen(SCRIPT_PORT), self._listen(DASHBOARD_PORT)]
        handlers = [self._serve_rtde, self._serve_script, self._serve_dashboard]
        if robotiq:
            self.listeners.append(self._listen(ROBOTIQ_PORT))
            handlers.append(self._serve_robotiq)
        self.threads = [
            threading.Thread(target=self._accept_loop, args=(ls, h), daemon=True)
            for ls, h in zip(self.listeners, handlers, strict=True)
        ]
        self.threads.append(threading.Thread(target=self._cycle, daemon=True, name="ur-emulator-cycle"))

    def _listen(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, port))
        sock.listen(8)
        sock.settimeout(0.2)
        return sock

    def start(self) -> URControllerEmulator:
        for t in self.threads:
            t.start()
        return self

    def close(self) -> None:
        self.stopping.set()
        for sock in self.listeners:
            sock.close()

    def _accept_loop(self, listener: socket.socket, handler) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # Sends give up after SOCKET_SEND_TIMEOUT_S (a client that stopped reading); reads block.
            seconds = int(SOCKET_SEND_TIMEOUT_S)
            micros = int((SOCKET_SEND_TIMEOUT_S - seconds) * 1e6)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", seconds, micros))
            threading.Thread(target=handler, args=(conn,), daemon=True).start()

    # ---- RTDE ----------------------------------------------------------------------------------------
    def _serve_rtde(self, sock: socket.socket) -> None:
        conn = RTDEConnection(self, sock)
        with self.conn_lock:
            self.connections.append(conn)
        conn.serve()

    def drop(self, conn: RTDEConnection) -> None:
        with self.conn_lock:
            if conn in self.connections:
                self.connections.remove(conn)
        try:
            conn.sock.close()
        except OSError:
            pass

    def _cycle(self) -> None:
        """Advance the controller and stream every started output recipe at its own frequency."""
        next_t = time.monotonic()
        while not self.stopping.is_set():
            now = time.monotonic()
            self.controller.step()
            self._step_robotiq()
            state = self.controller.snapshot()
            with self.conn_lock:
                streaming = [c for c in self.connections if c.started and c.output is not None]
            if now < self.stream_paused_until:
                streaming = []
            for conn in streaming:
                if now + 0.5 * self.cycle_s < conn.next_send:
                    continue
                conn.next_send = max(conn.next_send + conn.output.period, now - conn.output.period)
                try:
                    with conn.send_lock:
                        conn.sock.sendall(conn.pack_output(state))
                except OSError:
                    self.drop(conn)
            next_t += self.cycle_s
            delay = next_t - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            elif delay < -MAX_CATCH_UP_CYCLES * self.cycle_s:
                next_t = time.monotonic()  # far behind (machine busy): resynchronise instead of bursting

    # ---- script port -----------------------------------------------------------------------------
    def _serve_script(self, sock: socket.socket) -> None:
        buffer = ""
        try:
            while not self.stopping.is_set():
                chunk = sock.recv(65536)
                if not chunk:
                    return
                buffer += chunk.decode(errors="replace")
                m = _SCRIPT_DEF.search(buffer)
                ends = list(_SCRIPT_END.finditer(buffer))
                if m and ends and not buffer[ends[-1].end() :].strip():
                    self.controller.load_script(m.group(1))
                    buffer = ""
        except OSError:
            return
        finally:
            sock.close()

    # ---- dashboard -------------------------------------------------------------------------------
    def _serve_dashboard(self, sock: socket.socket) -> None:
        stream = sock.makefile("rwb", buffering=0)
        try:
            stream.write(b"Connected: Universal Robots Dashboard Server\n")
            for raw in stream:
                line = raw.decode(errors="replace").strip()
                reply = self.dashboard_reply(line)
                stream.write((reply + "\n").encode())
                if line == "quit":
                    return
        except OSError:
            return
        finally:
            sock.close()

    def dashboard_reply(self, line: str) -> str:
        """The dashboard server's answer to one command line."""
        c = self.controller
        cmd = line.lower()
        with c.lock:
            playing = c.runtime_state == RUNTIME_PLAYING
            state = {1: "STOPPED", 2: "PLAYING", 3: "PAUSED"}.get(c.runtime_state, "STOPPED")
            safety = "PROTECTIVE_STOP" if c.safety_mode == SAFETY_MODE_PROTECTIVE_STOP else "NORMAL"
            program = c.program_name
        if cmd == "polyscopeversion":
            return POLYSCOPE_VERSION
        if cmd == "get serial number":
            return SERIAL_NUMBER
        if cmd == "is in remote control":
            return "true"
        if cmd == "robotmode":
            return "Robotmode: RUNNING"
        if cmd == "safetystatus":
            return f"Safetystatus: {safety}"
        if cmd == "safetymode":
            return f"Safetymode: {safety}"
        if cmd == "running":
            return f"Program running: {'true' if playing else 'false'}"
        if cmd == "programstate":
            return f"{state} {program}"
        if cmd == "get loaded program":
            return f"Loaded program: {program}"
        if cmd == "get robot model":
            return "UR10"
        if cmd == "stop":
            c.stop_program()
            return "Stopped"
        if cmd == "play":
            return "Starting program" if c.play() else "Failed to execute: play"
        if cmd == "pause":
            c.pause_program()
            return "Pausing program"
        if cmd == "unlock protective stop":
            c.unlock_protective_stop()
            return "Protective stop releasing"
        if cmd.startswith("load "):
            return f"Loading program: {line[5:]}"
        simple = {
            "power on": "Powering on",
            "power off": "Powering off",
            "brake release": "Brake releasing",
            "close safety popup": "closing safety popup",
            "close popup": "closing popup",
            "restart safety": "Restarting safety",
            "quit": "Disconnected",
            "shutdown": "Shutting down",
        }
        if cmd in simple:
            return simple[cmd]
        if cmd.startswith("popup "):
            return "showing popup"
        if cmd.startswith("addtolog "):
            return "Added log message"
        if cmd == "emulator protective stop":
            c.protective_stop("requested on the dashboard test hook")
            return "Protective stop triggered"
        if cmd == "emulator motions":
            return f"motions: {c.motions_started}"
        if cmd.startswith("emulator stall stream "):
            seconds = float(cmd.rsplit(" ", 1)[1])
            self.stream_paused_until = time.monotonic() + seconds
            return f"stream stalled for {seconds} s"
        if cmd == "emulator events":
            with c.lock:
                events = list(c.events)
            return "events: " + json.dumps([[round(t, 6), kind, detail] for t, kind, detail in events])
        if cmd == "emulator q":
            return "q: " + " ".join(f"{v:.6f}" for v in c.body.read_q())
        return f"could not understand: '{line}'"

    # ---- Robotiq URCap socket (port 63352) ----------------------------------------------------------
    def _serve_robotiq(self, sock: socket.socket) -> None:
        stream = sock.makefile("rwb", buffering=0)
        try:
            for raw in stream:
                stream.write((self.robotiq_reply(raw.decode(errors="replace").strip()) + "\n").encode())
        except OSError:
            return
        finally:
            sock.close()

    def robotiq_reply(self, line: str) -> str:
        """Answer one GET/SET line of the Robotiq URCap socket protocol."""
        words = line.split()
        if len(words) >= 2 and words[0] == "GET":
            var = words[1]
            with self.controller.lock:
                moving = self.robotiq_position != self.robotiq_target
                values = {
                    "ACT": int(self.robotiq_activated),
                    "GTO": 1,
                    "STA": 3 if self.robotiq_activated else 0,
                    "POS": int(round(self.robotiq_position)),
                    "PRE": self.robotiq_target,
                    "FLT": 0,
                    "OBJ": 0 if moving else 3,
                    "SPE": 255,
                    "FOR": 255,
                }
            return f"{var} {values.get(var, 0)}"
        if len(words) >= 3 and words[0] == "SET" and len(words) % 2 == 1:
            with self.controller.lock:
                for key, value in zip(words[1::2], words[2::2], strict=True):
                    if key == "ACT":
                        self.robotiq_activated = value == "1"
                    elif key == "POS":
                        self.robotiq_target = int(np.clip(int(value), 0, 255))
            return "ack"
        return "?"

    def _step_robotiq(self) -> None:
        step = 255.0 * self.cycle_s / ROBOTIQ_SECONDS_FULL_STROKE
        with self.controller.lock:
            if self.robotiq_activated and self.robotiq_position != self.robotiq_target:
                d = self.robotiq_target - self.robotiq_position
                self.robotiq_position = (
                    self.robotiq_target if abs(d) <= step else self.robotiq_position + np.sign(d) * step
                )
