"""The fast evaluator: the same verdicts as the reference (`tsc --target esnext` then `node`, one
program at a time) at a fraction of the cost. Programs are type-checked and emitted by one warm
checker process; each emitted program still runs in its own `node` process, in its own folder,
under the same timeout, several at once."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

from agentbench_ts.multiple.checker import CheckerError, TsChecker
from agentbench_ts.multiple.reference import evaluate_reference
from agentbench_ts.multiple.verdict import Verdict, compile_failure, run_verdict
from agentbench_ts.plumbing.process import CommandResult, run_process


class FastEvaluator:
    def __init__(
        self,
        toolchain: Path,
        env: dict[str, str],
        timeout_s: float = 15.0,
        compile_timeout_s: float = 15.0,
        concurrency: int | None = None,
    ) -> None:
        self._toolchain, self._env, self._timeout_s = toolchain, env, timeout_s
        self._compile_timeout_s = compile_timeout_s
        self._checker = TsChecker(toolchain, env)
        workers = concurrency or os.cpu_count() or 2
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="node")

    def _run(self, js: str) -> Verdict:
        with tempfile.TemporaryDirectory(prefix="multipl-e-") as tmp:
            (Path(tmp) / "program.js").write_text(js, encoding="utf-8")
            ran = run_process(
                ["node", "program.js"], Path(tmp), self._env, self._timeout_s, separate_stderr=True
            )
        return run_verdict(ran)

    def _submit(self, program: str) -> Future[Verdict]:
        try:
            checked = self._checker.check(program)
        except CheckerError:
            # A program that crashes or hangs the checker is judged the slow way, by tsc itself.
            return self._pool.submit(
                evaluate_reference,
                program,
                self._toolchain,
                self._env,
                self._timeout_s,
                self._compile_timeout_s,
            )
        if not checked.ok:
            done: Future[Verdict] = Future()
            done.set_result(compile_failure(CommandResult(1, "\n".join(checked.diagnostics))))
            return done
        return self._pool.submit(self._run, checked.js)

    def evaluate(self, programs: Sequence[str]) -> list[Verdict]:
        """Verdicts in the order of `programs`; checking one overlaps with running the ones before."""
        futures = [self._submit(program) for program in programs]
        return [future.result() for future in futures]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._checker.close()

    def __enter__(self) -> FastEvaluator:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
