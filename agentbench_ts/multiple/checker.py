"""A long-lived TypeScript checker process (ts_check.js): tsc's decision and output per program
without a cold compiler start each time."""

from __future__ import annotations

import json
import selectors
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from agentbench_ts.errors import AgentbenchError

WORKER = Path(__file__).with_name("ts_check.js")


class CheckerError(AgentbenchError):
    """The checker process died or did not answer in time."""


@dataclass(frozen=True)
class Checked:
    ok: bool
    diagnostics: list[str]
    js: str
    exit_code: int = 0
    """tsc's exit status for the program: 2 where it found errors but emitted (the usual case)."""

    @property
    def compiler_output(self) -> str:
        """What `tsc` prints to stdout (piped, so without --pretty): one line per diagnostic."""
        return "".join(line + "\n" for line in self.diagnostics)

    @classmethod
    def from_reply(cls, reply: dict[str, object]) -> Checked:
        diagnostics = reply["diagnostics"]
        assert isinstance(diagnostics, list)
        ok = bool(reply["ok"])
        exit_code = reply.get("exit_code", 0 if ok else 2)
        return cls(ok, [str(d) for d in diagnostics], str(reply["js"]), int(str(exit_code)))


class TsChecker:
    def __init__(self, toolchain: Path, env: dict[str, str], timeout_s: float = 120.0) -> None:
        if not (toolchain / "node_modules" / "typescript").is_dir():
            raise CheckerError(f"no TypeScript in {toolchain}/node_modules: run npm ci --prefix {toolchain}")
        self._toolchain, self._env, self._timeout_s = toolchain, env, timeout_s
        self._folder = tempfile.TemporaryDirectory(prefix="ts-check-")
        self._proc: subprocess.Popen[str] | None = None
        self._next_id = 0

    def _start(self) -> subprocess.Popen[str]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                ["node", str(WORKER), str(self._toolchain.resolve())],
                cwd=self._folder.name,
                env=self._env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
            )
        return self._proc

    def check(self, source: str) -> Checked:
        """Raises CheckerError (and drops the process, so the next call starts afresh) on a crash or hang."""
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        self._next_id += 1
        try:
            proc.stdin.write(json.dumps({"id": self._next_id, "source": source}) + "\n")
            proc.stdin.flush()
            with selectors.DefaultSelector() as selector:
                selector.register(proc.stdout, selectors.EVENT_READ)
                if not selector.select(self._timeout_s):
                    raise CheckerError(f"the checker gave no answer in {self._timeout_s} s")
            line = proc.stdout.readline()
            reply = json.loads(line)
            if reply.get("id") != self._next_id:
                raise CheckerError(f"the checker answered out of turn: {line[:200]!r}")
        except (OSError, ValueError, CheckerError) as exc:
            self._drop()
            raise CheckerError(f"the TypeScript checker failed: {exc}") from exc
        return Checked.from_reply(reply)

    def _drop(self) -> None:
        """Stop the process; the next check starts a fresh one in the same folder."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None

    def close(self) -> None:
        self._drop()
        self._folder.cleanup()

    def __enter__(self) -> TsChecker:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
