"""The one process runner and the one result type for running a command, wherever it runs.

A command runs in its own process group; at its deadline, and once it has exited, everything left
in the group is killed, so no background child outlives the call. Output is kept within a byte
budget (head and tail). stdout and stderr are merged unless the caller needs them apart.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from agentbench_ts.plumbing.output import CappedOutput

_READ_CHUNK = 65536
_DRAIN_AFTER_EXIT_S = 0.5
"""How long output is still read after the command exits without any arriving (a background child may
hold the pipe open); while output keeps arriving (a loaded machine still reading megabytes), reading
goes on, up to _DRAIN_AT_MOST_S."""
_DRAIN_AT_MOST_S = 30.0


def _received(outputs: Sequence[CappedOutput]) -> int:
    return sum(len(o.head) + len(o.tail) + o.dropped for o in outputs)


def _drain_after_exit(
    readers: Sequence[threading.Thread], outputs: Sequence[CappedOutput], quiet_s: float = _DRAIN_AFTER_EXIT_S
) -> None:
    """Let the readers finish: for `quiet_s` without output, or as long as output keeps arriving (up to
    _DRAIN_AT_MOST_S): a loaded machine may still be reading megabytes when the command has exited."""
    deadline = time.monotonic() + _DRAIN_AT_MOST_S
    seen = _received(outputs)
    while any(reader.is_alive() for reader in readers) and time.monotonic() < deadline:
        for reader in readers:
            reader.join(quiet_s / len(readers))
        now_seen = _received(outputs)
        if now_seen == seen:
            return  # nothing arrived: whatever holds the pipe is not the command
        seen = now_seen


@dataclass(frozen=True)
class CommandResult:
    exit_code: int | None
    """None when the command timed out (or its exit could not be learned)."""
    output: str
    """stdout, with stderr merged in unless it was kept apart."""
    stderr: str = ""
    """stderr, when kept apart (else empty)."""
    timed_out: bool = False
    truncated: bool = False
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    @property
    def log(self) -> str:
        """Everything the command printed, for people and error messages: stdout, then stderr where
        it was kept apart. Never parse it as data."""
        if not self.stderr:
            return self.output
        joint = "" if not self.output or self.output.endswith("\n") else "\n"
        return self.output + joint + self.stderr


def _drain(stream: IO[bytes], into: CappedOutput) -> None:
    with contextlib.suppress(OSError, ValueError):
        while chunk := os.read(stream.fileno(), _READ_CHUNK):
            into.add(chunk)


def run_process(
    argv: Sequence[str],
    cwd: Path,
    env: dict[str, str],
    timeout_s: float,
    *,
    max_output_bytes: int = 1_000_000,
    separate_stderr: bool = False,
) -> CommandResult:
    """Run `argv`; kill its process group at the deadline and after it exits."""
    started = time.monotonic()
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if separate_stderr else subprocess.STDOUT,
        start_new_session=True,
    )
    streams = [proc.stdout, proc.stderr] if separate_stderr else [proc.stdout]
    outputs = [CappedOutput(max_output_bytes) for _ in streams]
    readers = [
        threading.Thread(target=_drain, args=(stream, output), daemon=True)
        for stream, output in zip(streams, outputs, strict=True)
    ]
    for reader in readers:
        reader.start()
    timed_out = False
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
    if not timed_out:
        _drain_after_exit(readers, outputs)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    exit_code = proc.wait()
    _drain_after_exit(readers, outputs, quiet_s=5.0)  # the group is gone: what is left in the pipes
    for stream in streams:
        if stream is not None:
            stream.close()
    return CommandResult(
        exit_code=None if timed_out else exit_code,
        output=outputs[0].text(),
        stderr=outputs[1].text() if separate_stderr else "",
        timed_out=timed_out,
        truncated=any(output.dropped > 0 for output in outputs),
        elapsed_s=time.monotonic() - started,
    )


def run_shell(
    command: str,
    cwd: Path,
    env: dict[str, str],
    timeout_s: float,
    *,
    max_output_bytes: int = 1_000_000,
    max_file_bytes: int = 1 << 30,
    separate_stderr: bool = False,
) -> CommandResult:
    """`command` through bash, with files it writes capped at max_file_bytes and no core dumps."""
    limited = f"ulimit -c 0; ulimit -f {max(max_file_bytes // 1024, 1)}; {command}"
    return run_process(
        ["bash", "-c", limited],
        cwd,
        env,
        timeout_s,
        max_output_bytes=max_output_bytes,
        separate_stderr=separate_stderr,
    )
