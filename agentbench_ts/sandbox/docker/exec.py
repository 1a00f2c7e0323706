"""Running one command in a container: own process group, output cap, host-side deadline."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator

from docker import DockerClient
from docker.errors import APIError, NotFound

from agentbench_ts.plumbing.output import CappedOutput
from agentbench_ts.plumbing.process import CommandResult

# $1: the command, $2: the file-size cap in KiB, $3: "merge" to merge stderr into stdout. The command
# runs in a session of its own; when it ends, whatever it left running in that session is killed, so
# nothing outlives the call.
_WRAPPER = """ulimit -c 0; ulimit -f "$2"
if [ "$3" = merge ]; then setsid bash -c "$1" </dev/null 2>&1 & else setsid bash -c "$1" </dev/null & fi
child=$!
wait "$child"; code=$?
kill -9 -- "-$child" 2>/dev/null
exit "$code"
"""
_END = object()


def _pump(stream: Iterator[bytes | tuple[bytes | None, bytes | None]], chunks: queue.Queue[object]) -> None:
    try:
        for chunk in stream:
            chunks.put(chunk)
    except (APIError, OSError, ValueError):
        pass  # the container was killed under the stream
    finally:
        chunks.put(_END)


def exec_in_container(
    client: DockerClient,
    container_id: str,
    command: str,
    timeout_s: float,
    *,
    workdir: str,
    max_output_bytes: int,
    max_file_bytes: int,
    on_timeout: Callable[[], None],
    separate_stderr: bool = False,
) -> CommandResult:
    """Run `command`; at the deadline call on_timeout (which must end every process it started).
    With separate_stderr the two streams come apart (docker's multiplexed stream, demultiplexed)."""
    started = time.monotonic()
    cap_kib = str(max(max_file_bytes // 1024, 1))
    mode = "apart" if separate_stderr else "merge"
    argv = ["bash", "-c", _WRAPPER, "agentbench-exec", command, cap_kib, mode]
    exec_id = client.api.exec_create(container_id, argv, workdir=workdir, environment={"HOME": "/tmp"})["Id"]
    stream = client.api.exec_start(exec_id, stream=True, demux=separate_stderr)
    chunks: queue.Queue[object] = queue.Queue()
    reader = threading.Thread(target=_pump, args=(stream, chunks), daemon=True)
    reader.start()
    output, errors = CappedOutput(max_output_bytes), CappedOutput(max_output_bytes)
    deadline = started + timeout_s
    timed_out = False
    while True:
        try:
            chunk = chunks.get(timeout=max(deadline - time.monotonic(), 0.001))
        except queue.Empty:
            timed_out = True
            on_timeout()
            break
        if chunk is _END:
            break
        if isinstance(chunk, tuple):  # demultiplexed: (stdout, stderr), one of them None
            out, err = chunk
            output.add(out or b"")
            errors.add(err or b"")
        else:
            assert isinstance(chunk, bytes)
            output.add(chunk)
    reader.join(timeout=5)
    exit_code = None
    if not timed_out:
        try:
            exit_code = client.api.exec_inspect(exec_id)["ExitCode"]
        except NotFound:
            exit_code = None
    return CommandResult(
        exit_code=exit_code,
        output=output.text(),
        stderr=errors.text(),
        timed_out=timed_out,
        truncated=output.dropped > 0 or errors.dropped > 0,
        elapsed_s=time.monotonic() - started,
    )
