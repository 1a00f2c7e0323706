"""The fast evaluator: the same verdicts as the reference (`tsc --target esnext` then `node`, one
program at a time) at a fraction of the cost. Programs are type-checked and emitted by one warm
checker process; each emitted program still runs in its own `node` process, in its own folder,
under the same timeout, several at once. Where they run (this host, or one evaluation container)
is the `Programs` given; by default this host."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

from agentbench_ts.multiple.checker import CheckerError
from agentbench_ts.multiple.programs import HostPrograms, ProgramLimits, Programs
from agentbench_ts.multiple.verdict import Verdict, compile_failure, run_verdict
from agentbench_ts.plumbing.process import CommandResult


class FastEvaluator:
    def __init__(
        self,
        toolchain: Path,
        env: dict[str, str],
        timeout_s: float = 15.0,
        compile_timeout_s: float = 15.0,
        concurrency: int | None = None,
        *,
        programs: Programs | None = None,
    ) -> None:
        limits = ProgramLimits(timeout_s=timeout_s, compile_timeout_s=compile_timeout_s)
        self._programs = programs or HostPrograms(toolchain, env, limits)
        workers = concurrency or os.cpu_count() or 2
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="node")

    def _run(self, js: str) -> Verdict:
        return run_verdict(self._programs.run(js))

    def _submit(self, program: str) -> Future[Verdict]:
        try:
            checked = self._programs.check(program)
        except CheckerError:
            # A program that crashes or hangs the checker is judged the slow way, by tsc itself.
            return self._pool.submit(self._programs.reference, program)
        if not checked.ok:
            done: Future[Verdict] = Future()
            done.set_result(compile_failure(CommandResult(checked.exit_code, checked.compiler_output)))
            return done
        return self._pool.submit(self._run, checked.js)

    def evaluate(self, programs: Sequence[str]) -> list[Verdict]:
        """Verdicts in the order of `programs`; checking one overlaps with running the ones before."""
        futures = [self._submit(program) for program in programs]
        return [future.result() for future in futures]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._programs.close()

    def __enter__(self) -> FastEvaluator:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
