"""Warm `tsc` builds in sandboxes: a launcher named `tsc` first on the sandbox's PATH runs tsc.js,
which has `tsc` compiled by a compiler server kept warm (server.js: the TypeScript of the next `tsc` on
PATH, through its own command-line functions: the same diagnostics, outputs and exit status; outputs
of deleted sources removed), and runs that `tsc` cold for anything else or when the server is gone.

A container runs a server of its own, in its /tmp: it goes with the container. Local sandboxes of one
toolchain share one server (the lib and @types files it parsed serve every sandbox's first build too),
each holding a lease while it is open; the server ends a few seconds after the last lease goes (or
after its holder died), and when it has not been asked for a long while."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import tempfile
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHIM = HERE / "tsc.js"
SERVER = HERE / "server.js"
STATE_VARIABLE = "AGENTBENCH_WARM_TSC"
"""Set in a sandbox's environment to the folder of its warm compiler (socket, pid, log, leases)."""
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


def shared_state(toolchain_dir: Path) -> Path:
    """The folder of the server that local sandboxes of this toolchain share (this user's; a changed
    server or shim gets a folder, and so a server, of its own)."""
    digest = hashlib.sha256(str(toolchain_dir.resolve()).encode() + b"\0")
    digest.update(SERVER.read_bytes() + SHIM.read_bytes())
    return Path(tempfile.gettempdir()) / f"agentbench-warm-tsc-{os.getuid()}" / digest.hexdigest()[:16]


def take_lease(state: Path) -> Path:
    """A lease on the shared server for as long as a sandbox is open (its holder: this process)."""
    leases = state / "leases"
    leases.mkdir(parents=True, exist_ok=True)
    lease = leases / uuid.uuid4().hex
    lease.write_text(str(os.getpid()), encoding="utf-8")
    return lease


def stop_server(state: Path) -> None:
    """End the server whose pid file is in `state`, if it still runs as that server (a pid reused by
    another process is left alone)."""
    try:
        pid = int((state / "server.pid").read_text(encoding="utf-8").strip())
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return
    if str(SERVER).encode() in command and str(state).encode() in command:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
