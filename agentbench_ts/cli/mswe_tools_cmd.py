"""`agentbench mswe make-instance|specs list|bases build`: making instance records from pull requests,
the registered specs, and stand-ins for official base images."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from agentbench_ts.tasks.sources import SourceContext

if TYPE_CHECKING:
    from agentbench_ts.mswe.grader import MsweGraderOptions
    from agentbench_ts.mswe.source import MsweOptions


def add_make_instance_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
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
    make.add_argument("--spec", help="the spec's registered name (after ORG/); default: the one for --number")
    make.add_argument("--lang", choices=["typescript", "javascript"], help="default: the spec's language")
    make.add_argument("--issue-title", default="", help="the text of the issue it resolves (Fixes #N)")
    make.add_argument("--issue-body", default=None)
    make.add_argument(
        "--issue-number", type=int, help="whose text --issue-title is (default: the one referenced)"
    )
    make.add_argument(
        "--issue-file", type=Path, help="issues as GitHub's JSON (gh issue view N --json number,title,body)"
    )
    return make


def add_spec_tool_parsers(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> tuple[argparse.ArgumentParser, ...]:
    """`specs list` and `bases build`; returned for the flags they share with the other commands."""
    specs = commands.add_parser("specs", help="the registered Multi-SWE-bench specs")
    specs_commands = specs.add_subparsers(dest="specs_command", required=True)
    list_specs = specs_commands.add_parser("list", help="specs (plain and PR ranges), of ORG/REPO when given")
    list_specs.add_argument("repository", nargs="?", metavar="ORG/REPO")
    list_specs.add_argument("--all-languages", action="store_true", help="not only TypeScript and JavaScript")
    bases = commands.add_parser("bases", help="local stand-ins for the official base images")
    bases_commands = bases.add_subparsers(dest="bases_command", required=True)
    build_bases = bases_commands.add_parser("build", help="build stand-ins for official base images")
    build_bases.add_argument("tags", nargs="*", help="official bases, e.g. node:20 ubuntu:22.04")
    build_bases.add_argument("--for", dest="for_instances", type=Path, help="the bases these instances need")
    build_bases.add_argument("--javascript", action="store_true", help="with --for: JavaScript ones too")
    build_bases.add_argument("--rebuild", action="store_true")
    return list_specs, build_bases


def make_instance_command(
    args: argparse.Namespace, options: MsweOptions, grading: MsweGraderOptions, context: SourceContext
) -> int:
    from agentbench_ts.mswe.config import HarnessConfig  # noqa: PLC0415
    from agentbench_ts.mswe.make_instance import (  # noqa: PLC0415
        TEST_GLOBS,
        PullRequestSource,
        make_instance,
        read_issue_file,
    )
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
        spec=args.spec,
        spec_modules=tuple(args.spec_module),
        lang=args.lang or "",
        issues=tuple(read_issue_file(context.path(str(args.issue_file)))) if args.issue_file else (),
        issue_title=args.issue_title,
        issue_body=args.issue_body,
        issue_number=args.issue_number,
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
    spec = f"{record.org}/{record.number_interval or record.repo}"
    issues = ", ".join(f"#{issue.number}" for issue in record.resolved_issues) or "no issue"
    print(f"{record.id}: {counts} -> {out}")
    print(f"  spec {spec}, lang {record.lang}, resolves {issues}")
    for stage, names in made.flaky.items():
        print(f"  flaky in {stage} (left out): {', '.join(names[:10])}")
    print("  seconds: " + ", ".join(f"{stage} {s:.0f}" for stage, s in made.elapsed_s.items()))
    return 0


def list_specs_command(args: argparse.Namespace) -> int:
    from agentbench_ts.mswe.instances import LANGUAGES  # noqa: PLC0415
    from agentbench_ts.mswe.specs import load_specs, registered_specs  # noqa: PLC0415

    load_specs(args.spec_module)
    specs = [
        spec for spec in registered_specs(args.repository) if args.all_languages or spec.language in LANGUAGES
    ]
    for spec in specs:
        print(spec.describe())
    ranges = sum(spec.is_range for spec in specs)
    print(f"{len(specs)} spec(s): {len(specs) - ranges} plain, {ranges} for a range of pull requests")
    return 0 if specs else 1


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
        for record in load_instances(args.for_instances, languages, args.spec_module):
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
