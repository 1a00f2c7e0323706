"""`agentbench mswe validate|evaluate|run`: Multi-SWE-bench instances through the official-grade
harness, and agent episodes on them (`mswe run` is `agentbench run --tasks mswe:FILE` with the docker
sandbox and the test policy `never` by default)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import JsonValue

from agentbench_ts.cli.run_cmd import execute
from agentbench_ts.runner.flags import (
    add_episode_flags,
    add_model_flags,
    add_sandbox_flags,
    run_config,
    source_context,
)
from agentbench_ts.tasks.sources import SourceContext, TaskSourceSpec

if TYPE_CHECKING:
    from agentbench_ts.mswe.grader import MsweGraderOptions
    from agentbench_ts.mswe.source import MsweOptions


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
    bases = commands.add_parser("bases", help="local stand-ins for the official base images")
    bases_commands = bases.add_subparsers(dest="bases_command", required=True)
    build_bases = bases_commands.add_parser("build", help="build stand-ins for official base images")
    build_bases.add_argument("tags", nargs="*", help="official bases, e.g. node:20 ubuntu:22.04")
    build_bases.add_argument("--for", dest="for_instances", type=Path, help="the bases these instances need")
    build_bases.add_argument("--javascript", action="store_true", help="with --for: JavaScript ones too")
    build_bases.add_argument("--rebuild", action="store_true")
    make = commands.add_parser(
        "make-instance", help="a dataset record from a real pull request (run, test-run, fix-run -> report)"
    )
    make.add_argument("--repo", required=True, type=Path, help="a clone or bare mirror with both commits")
    make.add_argument("--org", required=True)
    make.add_argument("--name", required=True, help="the repository's name (its spec is registered by it)")
    make.add_argument("--number", required=True, type=int, help="the pull request's number")
    make.add_argument("--base", required=True, help="the commit the pull request was made on")
    make.add_argument("--merged", required=True, help="the commit with the pull request's change")
    make.add_argument("--title", default="", help="default: the merged commit's subject")
    make.add_argument("--body", default="", help="default: the merged commit's message body")
    make.add_argument("--test-glob", action="append", default=[], help="paths that are tests (repeatable)")
    make.add_argument("--out", required=True, type=Path, help="jsonl to append the record to")
    for command in (validate, make):
        command.add_argument(
            "--runs", type=int, default=1, help="run each script K times; differing tests are flaky"
        )
    for command in (validate, evaluate, run, make):
        if command is not make:
            command.add_argument("instances", type=Path, help="jsonl of Multi-SWE-bench instance records")
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
    for command in (validate, evaluate, make):
        command.add_argument("--rebuild", action="store_true", help="rebuild the instance images")
        command.set_defaults(sandbox="docker", node_image=None, sandbox_option=[])
        command.set_defaults(sandbox_cpus=2.0, sandbox_memory_gb=2.0)
    add_sandbox_flags(run, default="docker")


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
    return options


def _grader_options(args: argparse.Namespace) -> dict[str, JsonValue]:
    return {"timeout_s": args.timeout, "cpus": args.cpus, "memory_gb": args.memory_gb}


def mswe_command(args: argparse.Namespace, argv: Sequence[str]) -> int:
    if args.mswe_command == "bases":
        return build_bases_command(args)
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


def make_instance_command(
    args: argparse.Namespace, options: MsweOptions, grading: MsweGraderOptions, context: SourceContext
) -> int:
    from agentbench_ts.mswe.config import HarnessConfig  # noqa: PLC0415
    from agentbench_ts.mswe.make_instance import TEST_GLOBS, PullRequestSource, make_instance  # noqa: PLC0415
    from agentbench_ts.sandbox.docker.client import docker_client  # noqa: PLC0415

    repo = context.path(str(args.repo))
    mirrors = [*options.mirror, f"{args.org}/{args.name}={repo}"]
    harness = HarnessConfig(
        options.model_copy(update={"mirror": tuple(mirrors)}).build(context),
        grading.limits(),
        grading.timeout_s,
    )
    source = PullRequestSource(
        repo=repo,
        org=args.org,
        name=args.name,
        number=args.number,
        base=args.base,
        merged=args.merged,
        title=args.title,
        body=args.body,
        test_globs=tuple(args.test_glob) or TEST_GLOBS,
    )
    made = make_instance(docker_client(), source, harness, runs=args.runs)
    record = made.record
    out = context.path(str(args.out))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as handle:
        handle.write(record.json() + "\n")
    counts = ", ".join(
        f"{kind} {len(getattr(record, f'{kind}_tests'))}" for kind in ("f2p", "p2p", "s2p", "n2p")
    )
    print(f"{record.id}: {counts} -> {out}")
    for stage, names in made.flaky.items():
        print(f"  flaky in {stage} (left out): {', '.join(names[:10])}")
    print("  seconds: " + ", ".join(f"{stage} {s:.0f}" for stage, s in made.elapsed_s.items()))
    return 0


def build_bases_command(args: argparse.Namespace) -> int:
    from agentbench_ts.mswe.instances import load_instances  # noqa: PLC0415
    from agentbench_ts.mswe.specs import create_instance, image_chain  # noqa: PLC0415
    from agentbench_ts.runner.config import default_cache_dir  # noqa: PLC0415
    from agentbench_ts.sandbox.config import ImageConfig  # noqa: PLC0415
    from agentbench_ts.sandbox.docker.bootstrap import BootstrapRecipe  # noqa: PLC0415
    from agentbench_ts.sandbox.docker.client import docker_client  # noqa: PLC0415
    from agentbench_ts.sandbox.docker.standins import ensure_stand_in, stand_in_contents  # noqa: PLC0415

    tags = list(args.tags)
    if args.for_instances is not None:
        languages = ("typescript", "javascript") if args.javascript else ("typescript",)
        for record in load_instances(args.for_instances, languages):
            official = image_chain(create_instance(record))[0].dependency()
            if isinstance(official, str) and official not in tags:
                tags.append(official)
    if not tags:
        print("no base to build: name tags (node:20) or --for INSTANCES")
        return 2
    client = docker_client()
    base = BootstrapRecipe.load(ImageConfig().recipes / "base" / "bootstrap.json").tag()
    for tag in tags:
        ref = ensure_stand_in(client, tag, base, default_cache_dir(), rebuild=args.rebuild)
        print(f"{tag} -> {ref} ({stand_in_contents(client, ref)})")
    return 0
