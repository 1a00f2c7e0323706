"""Running one program: separate, capped stdout and stderr; its whole process group killed at the
timeout and after it exits."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from agentbench_ts.sandbox.output import CappedOutput

MAX_OUTPUT_BYTES = 1_000_000


@dataclass(frozen=True)
class Finished:
    exit_code: int
    stdout: str
    stderr: str
    timed_out: bool


def _drain(stream: IO[bytes], into: CappedOutput) -> None:
    while chunk := stream.read(65536):
        into.add(chunk)


def run_program(
    argv: Sequence[str],
    cwd: Path,
    env: dict[str, str],
    timeout_s: float,
    max_output_bytes: int = MAX_OUTPUT_BYTES,
) -> Finished:
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    outputs = (CappedOutput(max_output_bytes), CappedOutput(max_output_bytes))
    readers = [
        threading.Thread(target=_drain, args=(stream, output), daemon=True)
        for stream, output in zip((proc.stdout, proc.stderr), outputs, strict=True)
    ]
    for reader in readers:
        reader.start()
    timed_out = False
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        for reader in readers:
            reader.join(5)
    return Finished(-1 if timed_out else proc.returncode, outputs[0].text(), outputs[1].text(), timed_out)
