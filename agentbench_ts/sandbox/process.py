"""Run a shell command with a wall-clock timeout, an output cap and a killed process group."""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from pathlib import Path

from agentbench_ts.sandbox.base import ExecResult
from agentbench_ts.sandbox.output import CappedOutput

_READ_CHUNK = 65536
_DRAIN_AFTER_EXIT_S = 0.5


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def run_command(
    command: str,
    cwd: Path,
    env: dict[str, str],
    timeout_s: float,
    *,
    max_output_bytes: int = 1_000_000,
    max_file_bytes: int = 1 << 30,
) -> ExecResult:
    """Run `command` with bash in its own process group; everything in the group dies at the end.

    Files the command writes are capped at max_file_bytes (ulimit -f, in KiB) and core dumps are off.
    """
    started = time.monotonic()
    limited = f"ulimit -c 0; ulimit -f {max(max_file_bytes // 1024, 1)}; {command}"
    proc = subprocess.Popen(
        ["bash", "-c", limited],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert proc.stdout is not None
    buffer = CappedOutput(max_output_bytes)
    deadline = started + timeout_s
    timed_out = False
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        exited_at: float | None = None
        while True:
            now = time.monotonic()
            if now >= deadline:
                timed_out = proc.poll() is None
                break
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > _DRAIN_AFTER_EXIT_S:
                break  # a background child still holds the pipe open
            events = selector.select(timeout=min(0.1, deadline - now))
            if not events:
                continue
            chunk = os.read(proc.stdout.fileno(), _READ_CHUNK)
            if not chunk:
                break
            buffer.add(chunk)
    _kill_group(proc.pid)
    exit_code = proc.wait()
    proc.stdout.close()
    return ExecResult(
        exit_code=None if timed_out else exit_code,
        output=buffer.text(),
        timed_out=timed_out,
        truncated=buffer.dropped > 0,
        elapsed_s=time.monotonic() - started,
    )
