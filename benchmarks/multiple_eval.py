"""MultiPL-E TypeScript evaluation, in one run: inside the evaluation container, the fast evaluator
against the per-program reference (target: >= 20x, 100% agreement); and the fast evaluator inside the
container against the fast evaluator on this host (target: no worse than 1.5x slower).

    python benchmarks/multiple_eval.py --programs 280 --reference-sample 40

Programs are the 7 sample HumanEval-TS problems (descriptions commented out, see
tests/multiple_corpus.py) completed in several ways: correct, wrong answer, type error, syntax
error, exception, ReferenceError, process.exit(0). The reference (`tsc --target esnext` then
`node`, a cold compiler per program, as MultiPL-E runs it) evaluates a sample of them; the fast
evaluator evaluates all, and its verdicts on the sample are compared with the reference's.
Both run the same number of programs at once (--concurrency). The container is one `--network
none` container per evaluation (the `node:20` stand-in), with the toolchain mounted read-only.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from agentbench_ts.multiple.completion import program_of
from agentbench_ts.multiple.evaluation import EVALUATION_NODE
from agentbench_ts.multiple.fast import FastEvaluator
from agentbench_ts.multiple.programs import ContainerPrograms, ProgramLimits
from agentbench_ts.runner.config import default_cache_dir
from agentbench_ts.sandbox.config import ImageConfig
from agentbench_ts.sandbox.docker.bootstrap import BootstrapRecipe
from agentbench_ts.sandbox.docker.client import docker_client
from agentbench_ts.sandbox.docker.standins import ensure_stand_in

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from multiple_corpus import CORRECT, commented, sample_records  # noqa: E402

VARIANTS = {
    "correct": None,
    "wrong answer": "  return undefined as any;\n}",
    "type error": '  return "no" as number;\n}',
    "syntax error": "  return (;\n}",
    "exception": '  throw new Error("boom");\n}',
    "ReferenceError": '  return (globalThis as any).eval("missingName");\n}',
    "process.exit(0)": "  (globalThis as any).process.exit(0);\n  return undefined as any;\n}",
}


def programs(count: int) -> list[str]:
    records = [commented(r) for r in sample_records().values()]
    every = [
        program_of(record, body if body is not None else CORRECT[record.name])
        for record in records
        for body in VARIANTS.values()
    ]
    # Distinct programs: a trailing comment makes each one unique, so no cache could help.
    return [every[i % len(every)] + f"\n// variant {i}\n" for i in range(count)]


def _timed(evaluate: Callable[[list[str]], list[str]], todo: list[str]) -> tuple[list[str], float]:
    start = time.perf_counter()
    statuses = evaluate(todo)
    return statuses, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--programs", type=int, default=280)
    parser.add_argument("--reference-sample", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--toolchain", type=Path, default=ROOT / "tasks" / "quixbugs-ts" / "toolchain")
    args = parser.parse_args()
    env = {"PATH": os.environ["PATH"]}
    todo = programs(args.programs)
    sample = todo[: args.reference_sample]
    client = docker_client()
    base = BootstrapRecipe.load(ImageConfig().recipes / "base" / "bootstrap.json").tag()
    image = ensure_stand_in(client, EVALUATION_NODE, base, default_cache_dir())
    limits = ProgramLimits(cpus=float(args.concurrency))

    def in_container(fast: bool) -> Callable[[list[str]], list[str]]:
        def evaluate(sources: list[str]) -> list[str]:
            container = ContainerPrograms(client, image, args.toolchain, limits)
            if not fast:
                with ThreadPoolExecutor(args.concurrency) as pool:
                    try:
                        return [v.status for v in pool.map(container.reference, sources)]
                    finally:
                        container.close()
            with FastEvaluator(args.toolchain, env, concurrency=args.concurrency, programs=container) as ev:
                return [v.status for v in ev.evaluate(sources)]

        return evaluate

    def on_host(sources: list[str]) -> list[str]:
        with FastEvaluator(args.toolchain, env, concurrency=args.concurrency) as evaluator:
            return [v.status for v in evaluator.evaluate(sources)]

    reference, reference_s = _timed(in_container(fast=False), sample)
    fast, fast_s = _timed(in_container(fast=True), todo)
    host, host_s = _timed(on_host, todo)

    agree = sum(a == b for a, b in zip(fast, reference, strict=False))
    reference_rate, fast_rate, host_rate = len(sample) / reference_s, len(todo) / fast_s, len(todo) / host_s
    print(f"concurrency: {args.concurrency}")
    rows = [
        ("reference in the container (tsc + node each)", len(sample), reference_s),
        ("fast in the container (warm checker, runner)", len(todo), fast_s),
        ("fast on this host", len(todo), host_s),
    ]
    for label, count, seconds in rows:
        print(f"{label:46s} {count:4d} programs in {seconds:6.1f} s = {count / seconds:6.2f}/s")
    print(f"fast vs reference, both in the container: {fast_rate / reference_rate:.1f}x (target >= 20x)")
    print(f"fast in the container vs on the host: {host_rate / fast_rate:.2f}x slower (target <= 1.5x)")
    print(f"verdict agreement on the {len(sample)} programs both evaluated: {agree}/{len(sample)}")
    print(f"verdicts in the container equal the host's: {fast == host}")
    counts = {status: fast.count(status) for status in sorted(set(fast))}
    print(f"fast verdicts: {counts}")


if __name__ == "__main__":
    main()
