"""The reference path, as MultiPL-E runs a TypeScript program: `tsc --target esnext P.ts`, a cold
compiler start per program, then `node P.js`, each under its own timeout."""

from __future__ import annotations

import tempfile
from pathlib import Path

from agentbench_ts.multiple.verdict import Verdict, compile_failure, run_verdict
from agentbench_ts.plumbing.process import run_process

PROGRAM = "program.ts"


def tsc_path(toolchain: Path) -> Path:
    return toolchain.resolve() / "node_modules" / ".bin" / "tsc"


def evaluate_reference(
    program: str,
    toolchain: Path,
    env: dict[str, str],
    timeout_s: float = 15.0,
    compile_timeout_s: float = 15.0,
) -> Verdict:
    with tempfile.TemporaryDirectory(prefix="multipl-e-") as tmp:
        folder = Path(tmp)
        (folder / PROGRAM).write_text(program, encoding="utf-8")
        argv = [str(tsc_path(toolchain)), "--target", "esnext", PROGRAM]
        compiled = run_process(argv, folder, env, compile_timeout_s, separate_stderr=True)
        if not compiled.ok:
            return compile_failure(compiled)
        ran = run_process(
            ["node", PROGRAM.replace(".ts", ".js")], folder, env, timeout_s, separate_stderr=True
        )
        return run_verdict(ran)
