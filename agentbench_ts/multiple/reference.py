"""The reference path, as MultiPL-E runs a TypeScript program: `tsc --target esnext P.ts`, a cold
compiler start per program, then `node P.js`, each under its own timeout."""

from __future__ import annotations

import tempfile
from pathlib import Path

from agentbench_ts.multiple.run import run_program
from agentbench_ts.multiple.verdict import Verdict, compile_failure, run_verdict

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
        compiled = run_program(
            [str(tsc_path(toolchain)), "--target", "esnext", PROGRAM], folder, env, compile_timeout_s
        )
        if compiled.exit_code != 0:
            return compile_failure(compiled.exit_code, compiled.stdout, compiled.stderr)
        ran = run_program(["node", PROGRAM.replace(".ts", ".js")], folder, env, timeout_s)
        return run_verdict(ran.exit_code, ran.stdout, ran.stderr, ran.timed_out)
