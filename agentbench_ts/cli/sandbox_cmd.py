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
    build = commands.add_parser("build", help="build the suite and task images of a suite")
    build.add_argument("suite", type=Path)
    build.add_argument("--rebuild", action="store_true")
    add_image_flags(build)
    gc = commands.add_parser("gc", help="remove sandbox containers and workspace copies of dead runs")
    gc.add_argument("--all", action="store_true", help="also those of runs still alive")


def add_image_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--node-image",
        help="base the images on this registry image (e.g. node:20-bookworm-slim), not the offline base",
    )


def image_config(args: argparse.Namespace) -> ImageConfig:
    return ImageConfig(node_image=getattr(args, "node_image", None), rebuild=getattr(args, "rebuild", False))


def run_sandbox_command(args: argparse.Namespace) -> int:
    # The docker SDK is an optional extra: import it only when asked for.
    from agentbench_ts.sandbox.bootstrap import BootstrapRecipe, build_base  # noqa: PLC0415
    from agentbench_ts.sandbox.docker_gc import collect_garbage  # noqa: PLC0415
    from agentbench_ts.sandbox.docker_images import TaskImages  # noqa: PLC0415
    from agentbench_ts.sandbox.registry import docker_client  # noqa: PLC0415
    from agentbench_ts.tasks.suite import load_suite  # noqa: PLC0415

    client = docker_client()
    config = image_config(args)
    if args.sandbox_command == "build-base":
        recipe = BootstrapRecipe.load(config.recipes / "base" / "bootstrap.json")
        print(build_base(client, recipe, rebuild=args.rebuild, log=print))
    elif args.sandbox_command == "build":
        images = TaskImages(client, config)
        for task in load_suite(args.suite):
            print(f"{task.task_id}: {images.task(task)}")
    else:
        containers, copies = collect_garbage(client, config.workspaces, everything=args.all)
        print(f"removed {containers} containers and {copies} workspace copies")
    return 0
