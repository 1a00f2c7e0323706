"""Where completion programs are checked and run: on this host (`HostPrograms`) or inside one
long-lived `--network none` container per evaluation (`ContainerPrograms`), with CPU, memory, pids
and time limits. The container runs runner.js, which keeps the TypeScript checker warm and starts a
`node` per program itself: the host talks to it over a Unix socket, never a `docker exec` per program."""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from agentbench_ts.errors import SandboxError
from agentbench_ts.multiple.checker import WORKER, Checked, CheckerError, TsChecker
from agentbench_ts.multiple.reference import evaluate_reference
from agentbench_ts.multiple.verdict import Verdict, compile_failure, run_verdict
from agentbench_ts.plumbing.process import CommandResult, run_process

RUNNER = Path(__file__).with_name("runner.js")
LABEL = "agentbench.multiple"


class Programs(Protocol):
    def check(self, source: str) -> Checked:
        """tsc's decision and emitted JavaScript; CheckerError where the checker fails."""
        ...

    def run(self, js: str) -> CommandResult:
        """`node program.js` on emitted JavaScript, stderr kept apart, under the run timeout."""
        ...

    def reference(self, program: str) -> Verdict:
        """MultiPL-E's own way: a cold `tsc --target esnext`, then `node`."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ProgramLimits:
    timeout_s: float = 15.0
    compile_timeout_s: float = 15.0
    cpus: float = 2.0
    memory_bytes: int = 4 << 30
    pids: int = 512
    max_output_bytes: int = 1 << 20
    """Kept of each of stdout and stderr per program (head and tail)."""


class HostPrograms:
    """Programs on this machine, as the user running the evaluation (for machines without Docker)."""

    def __init__(self, toolchain: Path, env: dict[str, str], limits: ProgramLimits) -> None:
        self._toolchain, self._env, self._limits = toolchain, env, limits
        self._checker = TsChecker(toolchain, env)

    def check(self, source: str) -> Checked:
        return self._checker.check(source)

    def run(self, js: str) -> CommandResult:
        with tempfile.TemporaryDirectory(prefix="multipl-e-") as tmp:
            (Path(tmp) / "program.js").write_text(js, encoding="utf-8")
            return run_process(
                ["node", "program.js"], Path(tmp), self._env, self._limits.timeout_s, separate_stderr=True
            )

    def reference(self, program: str) -> Verdict:
        limits = self._limits
        return evaluate_reference(
            program, self._toolchain, self._env, limits.timeout_s, limits.compile_timeout_s
        )

    def close(self) -> None:
        self._checker.close()


class ContainerPrograms:
    """Programs inside one evaluation container of `image` (which needs node), offline and limited."""

    def __init__(self, client: Any, image: str, toolchain: Path, limits: ProgramLimits) -> None:
        self._limits = limits
        self._folder = Path(tempfile.mkdtemp(prefix="multipl-e-io-"))
        self._folder.chmod(0o755)  # the checker's user in the container reads the scripts
        (self._folder / "sock").mkdir(mode=0o700)  # only root in the container reaches the socket
        for script in (RUNNER, WORKER):
            shutil.copy(script, self._folder / script.name)
            (self._folder / script.name).chmod(0o644)
        self._container = client.containers.run(
            image,
            [
                "node",
                "/io/runner.js",
                "/io/sock/runner.sock",
                "/toolchain",
                "/io/ts_check.js",
                str(limits.max_output_bytes),
            ],
            detach=True,
            network_mode="none",
            read_only=True,
            tmpfs={"/tmp": "size=1g,mode=1777"},
            volumes={
                str(self._folder): {"bind": "/io", "mode": "ro"},
                str(self._folder / "sock"): {"bind": "/io/sock", "mode": "rw"},
                str(toolchain.resolve()): {"bind": "/toolchain", "mode": "ro"},
            },
            nano_cpus=int(limits.cpus * 1e9),
            mem_limit=limits.memory_bytes,
            memswap_limit=limits.memory_bytes,
            pids_limit=limits.pids,
            cap_drop=["ALL"],
            cap_add=["SETUID", "SETGID", "CHOWN", "KILL", "DAC_OVERRIDE", "FOWNER"],
            security_opt=["no-new-privileges"],
            labels={LABEL: "1"},
        )
        self._pending: dict[int, Future[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._next_id = 0
        try:
            self._socket = self._connect(self._folder / "sock" / "runner.sock")
        except BaseException:
            self.close()
            raise
        self._reader = threading.Thread(target=self._read, name="multipl-e-runner", daemon=True)
        self._reader.start()

    def _connect(self, path: Path, wait_s: float = 60.0) -> socket.socket:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            self._container.reload()
            if self._container.status == "exited":
                logs = self._container.logs().decode(errors="replace")[-2000:]
                raise SandboxError(f"the evaluation container stopped before it was ready:\n{logs}")
            if path.exists():
                connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    connection.connect(str(path))
                    return connection
                except OSError:
                    connection.close()
            time.sleep(0.05)
        raise SandboxError(f"the evaluation container's runner did not start in {wait_s:.0f} s")

    def _read(self) -> None:
        with self._socket.makefile("r", encoding="utf-8") as lines:
            for line in lines:
                reply = json.loads(line)
                with self._lock:
                    future = self._pending.pop(int(reply["id"]), None)
                if future is not None:
                    future.set_result(reply)
        with self._lock:
            pending, self._pending = self._pending, {}
        for future in pending.values():
            future.set_exception(SandboxError("the evaluation container's runner went away"))

    def _ask(self, request: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        future: Future[dict[str, Any]] = Future()
        with self._lock:
            self._next_id += 1
            request = {**request, "id": self._next_id}
            self._pending[self._next_id] = future
            self._socket.sendall((json.dumps(request) + "\n").encode("utf-8"))
        reply = future.result(timeout=timeout_s)
        if "error" in reply:
            raise SandboxError(f"the runner failed: {reply['error']}")
        return reply

    def check(self, source: str) -> Checked:
        try:
            return Checked.from_reply(self._ask({"op": "check", "source": source}, 300.0))
        except (SandboxError, TimeoutError) as exc:
            raise CheckerError(f"the TypeScript checker failed: {exc}") from exc

    def _result(self, reply: dict[str, Any]) -> CommandResult:
        exit_code = reply["exit_code"]
        return CommandResult(
            None if exit_code is None else int(exit_code),
            str(reply["stdout"]),
            str(reply["stderr"]),
            bool(reply["timed_out"]),
        )

    def run(self, js: str) -> CommandResult:
        reply = self._ask(
            {"op": "run", "js": js, "timeout_s": self._limits.timeout_s}, self._limits.timeout_s + 60
        )
        return self._result(reply)

    def reference(self, program: str) -> Verdict:
        limits = self._limits
        request = {
            "op": "reference",
            "source": program,
            "timeout_s": limits.timeout_s,
            "compile_timeout_s": limits.compile_timeout_s,
        }
        reply = self._ask(request, limits.timeout_s + limits.compile_timeout_s + 60)
        ran = self._result(reply)
        return compile_failure(ran) if reply["stage"] == "compile" else run_verdict(ran)

    def close(self) -> None:
        """Stop and remove the container (again: nothing happens)."""
        from docker.errors import NotFound  # noqa: PLC0415 (docker is imported where it is used)

        if hasattr(self, "_socket"):
            self._socket.close()
        try:
            self._container.remove(force=True)
        except NotFound:
            pass
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)
