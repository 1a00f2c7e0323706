"""`agentbench mswe validate|evaluate|run`: Multi-SWE-bench instances through the official-grade
harness, and agent episodes on them (`mswe run` is `agentbench run --tasks mswe:FILE` with the docker
sandbox and the test policy `never` by default)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from pydantic import JsonValue

from agentbench_ts.cli.mswe_tools_cmd import (
    add_make_instance_parser,
    add_spec_tool_parsers,
    build_bases_command,
    list_specs_command,
    make_instance_command,
)
from agentbench_ts.cli.run_cmd import execute
from agentbench_ts.runner.flags import (
    add_episode_flags,
    add_model_flags,
    add_sandbox_flags,
    run_config,
    source_context,
)
from agentbench_ts.tasks.sources import TaskSourceSpec


def add_mswe_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mswe = sub.add_parser("mswe", help="Multi-SWE-bench TypeScript instances")
    commands = mswe.add_subparsers(dest="mswe_command", required=True)
    validate = commands.add_parser(
        "validate", help="prove each instance: gold resolves, an empty patch does not"
    )
    evaluate = commands.add_parser("evaluate", help="judge a predictions file; write final_report.json")
    evaluate.add_argument(
        "--predictions", required=True, type=Path, help='jsonl of {"org","repo","number","fix_patch"}'
    )
    evaluate.add_argument("--out", required=True, type=Path, help="folder for final_report.json and reports")
    run = commands.add_parser(
        "run", help="agent episodes on the instances: traces, predictions.jsonl and final_report.json"
    )
    add_model_flags(run)
    run.add_argument("--task", action="append", default=[], help="only this instance, by task id or name")
    # The fix-run applies the instance's hidden test patch: by default the model is not told its results.
    add_episode_flags(run, test_policy="never")
    make = add_make_instance_parser(commands)
    for command in (*add_spec_tool_parsers(commands), validate, evaluate, run, make):
        command.add_argument(
            "--spec-module",
            action="append",
            default=[],
            metavar="MODULE",
            help="a module that registers specs (Instance.register), imported first (repeatable)",
        )
    for command in (validate, make):
        command.add_argument(
            "--runs", type=int, default=1, help="run each script K times; differing tests are flaky"
        )
    for command in (validate, evaluate, run, make):
        if command is not make:
            command.add_argument("instances", type=Path, help="jsonl of Multi-SWE-bench instance records")
        _add_build_flags(command)
    for command in (validate, evaluate, make):
        command.add_argument("--rebuild", action="store_true", help="rebuild the instance images")
        command.set_defaults(sandbox="docker", node_image=None, sandbox_option=[])
        command.set_defaults(sandbox_cpus=2.0, sandbox_memory_gb=2.0)
    add_sandbox_flags(run, default="docker")


def _add_build_flags(command: argparse.ArgumentParser) -> None:
    command.add_argument("--javascript", action="store_true", help="also JavaScript instances")
    command.add_argument("--mirror", action="append", default=[], metavar="ORG/REPO=PATH")
    command.add_argument(
        "--build-network",
        choices=["none", "host", "default", "auto"],
        default="none",
        help="what image builds reach (auto: the daemon's bridge where it has one, else the host's)",
    )
    command.add_argument("--network", action="store_true", help="the same as --build-network auto")
    command.add_argument("--pull", action="store_true", help="try the official prebuilt images first")
    command.add_argument(
        "--bases",
        choices=["auto", "official", "stand-in"],
        default="auto",
        help="official base images, or local stand-ins where docker lacks them (auto)",
    )
    command.add_argument("--timeout", type=float, default=1800.0, help="seconds per script run")
    command.add_argument("--cpus", type=float, default=4.0, help="cpus of each script's container")
    command.add_argument("--memory-gb", type=float, default=8.0, help="memory of each script's container")


def _source_options(args: argparse.Namespace) -> dict[str, JsonValue]:
    languages: list[JsonValue] = ["typescript", "javascript"] if args.javascript else ["typescript"]
    options: dict[str, JsonValue] = {"languages": languages}
    if args.mirror:
        options["mirror"] = [str(entry) for entry in args.mirror]
    network = "auto" if args.network else args.build_network
    if network != "none":
        options["network"] = network
    if args.pull:
        options["pull"] = True
    if args.rebuild:
        options["rebuild"] = True
    if args.bases != "auto":
        options["bases"] = args.bases
    if args.spec_module:
        options["spec_module"] = [str(module) for module in args.spec_module]
    return options


def _grader_options(args: argparse.Namespace) -> dict[str, JsonValue]:
    return {"timeout_s": args.timeout, "cpus": args.cpus, "memory_gb": args.memory_gb}


def mswe_command(args: argparse.Namespace, argv: Sequence[str]) -> int:
    if args.mswe_command == "bases":
        return build_bases_command(args)
    if args.mswe_command == "specs":
        return list_specs_command(args)
    if args.mswe_command == "run":
        spec = TaskSourceSpec(name="mswe", argument=str(args.instances), options=_source_options(args))
        return execute(run_config(args, argv, [spec], graders={"mswe": _grader_options(args)}))
    from agentbench_ts.mswe.evaluation import InstanceVerdict, evaluate_predictions, validate_instances  # noqa: PLC0415
    from agentbench_ts.mswe.grader import MsweGraderOptions  # noqa: PLC0415
    from agentbench_ts.mswe.source import MsweOptions  # noqa: PLC0415

    options = MsweOptions.model_validate(_source_options(args))
    grading = MsweGraderOptions.model_validate(_grader_options(args))
    context = source_context(args)
    if args.mswe_command == "make-instance":
        return make_instance_command(args, options, grading, context)
    if args.mswe_command == "validate":

        def show(verdict: InstanceVerdict) -> None:
            reason = f": {verdict.reason}" if verdict.reason else ""
            print(f"{'ok ' if verdict.ok else 'BAD'} {verdict.instance_id}{reason}")

        done = validate_instances(
            args.instances,
            options=options,
            grading=grading,
            context=context,
            on_instance=show,
            runs=args.runs,
        )
        print(f"{done.passed} valid, {len(done.verdicts) - done.passed} invalid")
        return 0 if done.passed == len(done.verdicts) else 1

    def judged(verdict: InstanceVerdict) -> None:
        print(f"{'resolved  ' if verdict.ok else 'unresolved'} {verdict.instance_id} {verdict.reason}")

    done = evaluate_predictions(
        args.instances,
        args.predictions,
        args.out,
        options=options,
        grading=grading,
        context=context,
        on_instance=judged,
    )
    print(f"{done.passed}/{len(done.verdicts)} resolved -> {done.final_report}")
    return 0
