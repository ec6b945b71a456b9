"""The scale bench's Chroma server (``chroma run`` on 127.0.0.1, always stopped, even after a killed
run) and the process and folder figures it reports: peak memory from /proc, disk as du counts it."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from .errors import RagAssistantError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int) -> dict[str, int]:
    """A process's memory figures from /proc/<pid>/status, in bytes (VmHWM: its peak RSS; VmRSS: now)."""
    values = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                values[key] = int(rest.split()[0]) * 1024
    return values


def folder_bytes(folder: Path) -> dict[str, int]:
    """A folder's files: allocated bytes (as du counts them) and their sizes."""
    allocated = size = 0
    for root, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                st = os.stat(os.path.join(root, name))
                allocated, size = allocated + st.st_blocks * 512, size + st.st_size
    return {"allocated": allocated, "size": size}


class ChromaServer:
    """``chroma run --path PATH --host 127.0.0.1 --port PORT``, started by ``start`` and always stopped
    by ``stop``. Its pid is kept next to its folder, so a server that a killed run left behind is
    stopped before another starts on the same folder."""

    def __init__(self, path: Path, log_file: Path):
        self.path, self.log_file = Path(path), Path(log_file)
        self.pid_file = self.path.parent / f"{self.path.name}.server-pid"
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.start_s: float | None = None

    def start(self, timeout: float = 120) -> "ChromaServer":
        self._stop_left_behind()
        self.path.mkdir(parents=True, exist_ok=True)
        port = free_port()
        chroma = Path(sys.executable).parent / "chroma"
        env = {"ANONYMIZED_TELEMETRY": "False", "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "HOME": os.environ.get("HOME", "/tmp")}
        began = time.perf_counter()
        with self.log_file.open("ab") as log:
            self.proc = subprocess.Popen([str(chroma), "run", "--path", str(self.path), "--host", "127.0.0.1",
                                          "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env)
        self.pid_file.write_text(f"{self.proc.pid}\n", encoding="utf-8")
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                self.start_s = time.perf_counter() - began
                return self
            except OSError:
                time.sleep(0.2)
        tail = self.log_file.read_text(encoding="utf-8", errors="replace")[-600:].strip()
        self.stop()
        raise RagAssistantError(f"the Chroma server on {self.path} did not start (see {self.log_file}): {tail}")

    def memory(self) -> dict[str, int]:
        return proc_status(self.proc.pid) if self.proc and self.proc.poll() is None else {}

    def stop(self) -> dict[str, int]:
        """Stop the server (SIGTERM, then SIGKILL after 30 s); returns its memory figures just before."""
        if self.proc is None:
            return {}
        memory = self.memory()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self.proc = None
        self.pid_file.unlink(missing_ok=True)
        return memory

    def _stop_left_behind(self) -> None:
        """A server on this folder that an earlier run started and could not stop (it was killed)."""
        try:
            pid = int(self.pid_file.read_text().split()[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            self.pid_file.unlink(missing_ok=True)
            return
        if b"run" in cmdline and str(self.path).encode() in cmdline and any(b"chroma" in a for a in cmdline):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while _running(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    """The process exists and has not exited (a zombie has: it only waits for its parent to read its status)."""
    try:
        state = Path(f"/proc/{pid}/status").read_text().split("State:", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@contextlib.contextmanager
def _stopped_by_sigterm():
    """SIGTERM raises SystemExit, so that the servers are stopped on the way out (as for Ctrl-C)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def leave(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
