"""`agentbench sandbox ...`: build images offline, remove leftovers."""

from __future__ import annotations

import argparse
from pathlib import Path

from agentbench_ts.sandbox.config import ImageConfig


def add_sandbox_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sandbox = sub.add_parser("sandbox", help="Docker images and containers")
    commands = sandbox.add_subparsers(dest="sandbox_command", required=True)
    base = commands.add_parser("build-base", help="bootstrap the offline base image (debootstrap + import)")
    base.add_argument("--rebuild", action="store_true")
    build = commands.add_parser("build", help="build the environment and task images of a suite")
    build.add_argument("suite", type=Path)
    build.add_argument("--rebuild", action="store_true")
    build.add_argument("--node-image", help="base the images on this registry image, not the offline base")
    gc = commands.add_parser("gc", help="remove sandbox containers and workspace copies of dead runs")
    gc.add_argument("--all", action="store_true", help="also those of runs still alive")


def sandbox_command(args: argparse.Namespace) -> int:
    # The docker SDK is an optional extra: import it only when asked for.
    from agentbench_ts.runner.config import default_cache_dir  # noqa: PLC0415
    from agentbench_ts.runner.flags import stderr_line  # noqa: PLC0415
    from agentbench_ts.sandbox.docker.bootstrap import BootstrapRecipe, build_base  # noqa: PLC0415
    from agentbench_ts.sandbox.docker.client import docker_client  # noqa: PLC0415
    from agentbench_ts.sandbox.docker.gc import collect_garbage  # noqa: PLC0415
    from agentbench_ts.sandbox.docker.layers import build_images  # noqa: PLC0415
    from agentbench_ts.tasks.sources import SourceContext, TaskSourceSpec, load_sources  # noqa: PLC0415

    client = docker_client()
    config = ImageConfig(
        node_image=getattr(args, "node_image", None), rebuild=getattr(args, "rebuild", False)
    )
    if args.sandbox_command == "build-base":
        recipe = BootstrapRecipe.load(config.recipes / "base" / "bootstrap.json")
        print(build_base(client, recipe, rebuild=args.rebuild, log=print))
    elif args.sandbox_command == "build":
        context = SourceContext(Path.cwd(), default_cache_dir(), log=stderr_line)
        tasks = load_sources([TaskSourceSpec(name="suite", argument=str(args.suite))], context).tasks
        for name, image in build_images(client, [task.sandbox_spec() for task in tasks], config):
            print(f"{name}: {image}")
    else:
        containers, copies = collect_garbage(client, config.workspaces, everything=args.all)
        print(f"removed {containers} containers and {copies} workspace copies")
    return 0
