"""Warm `tsc` builds in sandboxes: a launcher named `tsc` first on the sandbox's PATH runs tsc.js,
which has `tsc [-p DIR]` compiled by a compiler server kept warm in the sandbox (server.js: the same
TypeScript as the next `tsc` on PATH, the same diagnostics and exit status, outputs of deleted sources
removed), and runs that `tsc` cold for anything else or when the server is gone. The server lives in
the sandbox (a container's, or the local sandbox's folder) and ends with it."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHIM = HERE / "tsc.js"
SERVER = HERE / "server.js"
STATE_VARIABLE = "AGENTBENCH_WARM_TSC"
"""Set in a sandbox's environment to the folder of its warm compiler (socket, pid, log)."""
IMAGE_DIR = "/opt/agentbench/warm-tsc"
"""Where task images keep tsc.js and server.js, with the launcher in bin/."""
CONTAINER_STATE = "/tmp/agentbench-warm-tsc"


def launcher(shim: str) -> str:
    """A `tsc` that runs the shim with Node, naming itself so the shim skips it on PATH."""
    return f'#!/bin/sh\nAGENTBENCH_WARM_TSC_LAUNCHER="$0" exec node "{shim}" "$@"\n'


def write_launcher(bin_dir: Path) -> Path:
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / "tsc"
    path.write_text(launcher(str(SHIM)), encoding="utf-8")
    path.chmod(0o755)
    return path


def stop_server(state: Path) -> None:
    """End the warm compiler whose pid file is in `state` (a local sandbox's), if it still runs as
    that server (a pid reused by another process is left alone)."""
    try:
        pid = int((state / "server.pid").read_text(encoding="utf-8").strip())
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return
    if str(SERVER).encode() in command and str(state).encode() in command:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
