"""MultiPL-E TypeScript evaluation: the fast evaluator against the per-program reference.

    python benchmarks/multiple_eval.py --programs 280 --reference-sample 40

Programs are the 7 sample HumanEval-TS problems (descriptions commented out, see
tests/multiple_corpus.py) completed in several ways: correct, wrong answer, type error, syntax
error, exception, ReferenceError, process.exit(0). The reference (`tsc --target esnext` then
`node`, a cold compiler per program, as MultiPL-E runs it) evaluates a sample of them; the fast
evaluator evaluates all, and its verdicts on the sample are compared with the reference's.
Both run the same number of programs at once (--concurrency).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from agentbench_ts.multiple.completion import program_of
from agentbench_ts.multiple.fast import FastEvaluator
from agentbench_ts.multiple.reference import evaluate_reference

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

    start = time.perf_counter()
    with ThreadPoolExecutor(args.concurrency) as pool:
        reference = list(pool.map(lambda p: evaluate_reference(p, args.toolchain, env).status, sample))
    reference_s = time.perf_counter() - start

    start = time.perf_counter()
    with FastEvaluator(args.toolchain, env, concurrency=args.concurrency) as evaluator:
        fast = [v.status for v in evaluator.evaluate(todo)]
    fast_s = time.perf_counter() - start

    agree = sum(a == b for a, b in zip(fast, reference, strict=False))
    reference_rate, fast_rate = len(sample) / reference_s, len(todo) / fast_s
    print(f"concurrency: {args.concurrency}")
    print(f"reference (tsc + node per program): {len(sample):4d} programs in {reference_s:6.1f} s", end="")
    print(f" = {reference_rate:6.2f}/s")
    print(
        f"fast evaluator (warm checker):      {len(todo):4d} programs in {fast_s:6.1f} s = {fast_rate:6.2f}/s"
    )
    print(f"speed-up: {fast_rate / reference_rate:.1f}x")
    print(f"verdict agreement on the {len(sample)} programs both evaluated: {agree}/{len(sample)}")
    counts = {status: fast.count(status) for status in sorted(set(fast))}
    print(f"fast verdicts: {counts}")


if __name__ == "__main__":
    main()
