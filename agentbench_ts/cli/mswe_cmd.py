"""`agentbench mswe validate|evaluate|run`: Multi-SWE-bench instances through the official-grade
harness, and agent episodes on them."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentbench_ts.cli.run_cmd import (
    add_episode_flags,
    add_model_flags,
    progress_bar,
    run_config,
    sandbox_config,
)
from agentbench_ts.models.registry import MODEL_SPECS, model_factory
from agentbench_ts.sandbox.config import DockerLimits


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
    run.add_argument("--model", required=True, help=f"model spec: {', '.join(MODEL_SPECS)}")
    # The fix-run applies the instance's hidden test patch: by default the model is not told its results.
    add_episode_flags(run, test_policy="never")
    add_model_flags(run)
    run.set_defaults(sandbox="docker")
    for command in (validate, evaluate, run):
        command.add_argument("instances", type=Path, help="jsonl of Multi-SWE-bench instance records")
        command.add_argument("--javascript", action="store_true", help="also JavaScript instances")
        command.add_argument("--mirror", action="append", default=[], metavar="ORG/REPO=PATH")
        command.add_argument("--network", action="store_true", help="allow the network while building images")
        command.add_argument("--pull", action="store_true", help="try the official prebuilt images first")
        command.add_argument("--timeout", type=float, default=1800.0, help="seconds per script run")
        command.add_argument("--cpus", type=float, default=4.0, help="cpus of each script's container")
        command.add_argument("--memory-gb", type=float, default=8.0, help="memory of each script's container")


def _config(args: argparse.Namespace) -> Any:
    from agentbench_ts.mswe.docker_run import BuildOptions  # noqa: PLC0415
    from agentbench_ts.mswe.harness import HarnessConfig  # noqa: PLC0415

    mirrors = {}
    for entry in args.mirror:
        name, sep, path = entry.partition("=")
        if not sep or "/" not in name:
            raise ValueError(f"--mirror {entry!r}: write ORG/REPO=PATH")
        mirrors[name] = Path(path)
    return HarnessConfig(
        BuildOptions(network=args.network, mirrors=mirrors, pull=args.pull),
        DockerLimits(cpus=args.cpus, memory_bytes=int(args.memory_gb * (1 << 30)), pids=4096),
        timeout_s=args.timeout,
    )


def _read_predictions(path: Path) -> dict[str, str]:
    """Instance id -> fix patch, from the official predictions format."""
    patches: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                entry = json.loads(line)
                patches[f"{entry['org']}/{entry['repo']}:pr-{entry['number']}"] = str(entry["fix_patch"])
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number} is not a prediction: {exc}") from exc
    return patches


def _validate(records: list[Any], client: Any, config: Any) -> int:
    from agentbench_ts.mswe.harness import evaluate_patch  # noqa: PLC0415

    bad = 0
    for record in records:
        gold = evaluate_patch(client, record, record.fix_patch, config)
        empty = evaluate_patch(client, record, "", config)
        ok = gold.resolved and not empty.resolved
        bad += not ok
        reason = "" if gold.resolved else f": the gold patch fails: {gold.reason}"
        print(f"{'ok ' if ok else 'BAD'} {record.id}{reason}")
    print(f"{len(records) - bad} valid, {bad} invalid")
    return 1 if bad else 0


def _evaluate(records: list[Any], client: Any, config: Any, predictions: Path, out: Path) -> int:
    from agentbench_ts.mswe.grading import Judgement, final_report  # noqa: PLC0415
    from agentbench_ts.mswe.harness import evaluate_patch  # noqa: PLC0415

    patches = _read_predictions(predictions)
    judgements: list[Judgement] = []
    empty_ids: list[str] = []
    (out / "reports").mkdir(parents=True, exist_ok=True)
    for record in (r for r in records if r.id in patches):
        if not patches[record.id].strip():
            empty_ids.append(record.id)
        judgement = evaluate_patch(client, record, patches[record.id], config)
        judgements.append(judgement)
        (out / "reports" / f"{record.org}__{record.repo}-{record.number}.json").write_text(
            judgement.report.json()
        )
        print(f"{'resolved  ' if judgement.resolved else 'unresolved'} {record.id} {judgement.reason}")
    report = out / "final_report.json"
    report.write_text(final_report(judgements, empty_ids, []) + "\n", encoding="utf-8")
    print(f"{sum(j.resolved for j in judgements)}/{len(judgements)} resolved -> {report}")
    return 0


def mswe_command(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from agentbench_ts.mswe.records import load_instances  # noqa: PLC0415
    from agentbench_ts.sandbox.registry import docker_client  # noqa: PLC0415

    languages = ("typescript", "javascript") if args.javascript else ("typescript",)
    records = load_instances(args.instances, languages)
    if not records:
        hint = "" if args.javascript else " (--javascript takes JavaScript ones too)"
        raise ValueError(f"{args.instances} holds no {' or '.join(languages)} instances{hint}")
    config, client = _config(args), docker_client()
    if args.mswe_command == "validate":
        return _validate(records, client, config)
    if args.mswe_command == "run":
        return _run(records, client, config, args, argv)
    return _evaluate(records, client, config, args.predictions, args.out)


def _run(records: list[Any], client: Any, config: Any, args: argparse.Namespace, argv: Sequence[str]) -> int:
    from agentbench_ts.mswe.grader import MsweGrader  # noqa: PLC0415
    from agentbench_ts.mswe.results import write_results  # noqa: PLC0415
    from agentbench_ts.mswe.tasks import GRADER, prepare_tasks  # noqa: PLC0415
    from agentbench_ts.report import format_summary, summarize  # noqa: PLC0415
    from agentbench_ts.runner import run_tasks  # noqa: PLC0415
    from agentbench_ts.sandbox.docker_workspace import WorkspaceCopies  # noqa: PLC0415
    from agentbench_ts.sandbox.registry import sandbox_factory  # noqa: PLC0415

    sandboxes = sandbox_config(args)
    workspaces = WorkspaceCopies(client, sandboxes.images.workspaces)
    tasks, unprepared = prepare_tasks(client, records, config, workspaces)
    for instance_id, reason in unprepared.items():
        print(f"not run: {instance_id}: {reason}", file=sys.stderr)
    run = run_config(args, argv, str(args.instances))
    store = run_tasks(
        run,
        tasks,
        model_factory(args.model, run.model_options),
        sandbox_factory(sandboxes),
        progress_bar(),
        graders={GRADER: MsweGrader(client, records, config)},
    )
    print(format_summary(summarize(store.episodes())))
    for path in write_results(store.episodes(), records, args.out, unprepared=sorted(unprepared)):
        print(path)
    return 1 if unprepared else 0
