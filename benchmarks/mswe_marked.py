"""Build and run times of a real Multi-SWE-bench instance: markedjs/marked PR #4039 from a bare mirror.

Times, from scratch (--rebuild, no layer cache): the node:20 stand-in, the instance's image chain (the
COPY of the repository, then `npm ci` over the build network), each official run (run.sh, test-run.sh,
fix-run.sh), and `validate` (gold and empty patch). Ratios are against the fix-run, the unit every
grading of an episode pays.

    python benchmarks/mswe_marked.py [--mirror ../shared/repos/markedjs-marked.git] [--runs 1]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from agentbench_ts.mswe.config import BuildOptions, HarnessConfig
from agentbench_ts.mswe.images import ensure_instance_image
from agentbench_ts.mswe.instances import load_instances
from agentbench_ts.mswe.runs import evaluate_patch, run_in_image
from agentbench_ts.mswe.specs import create_instance
from agentbench_ts.runner.config import default_cache_dir
from agentbench_ts.sandbox.config import DockerLimits, ImageConfig
from agentbench_ts.sandbox.docker.bootstrap import BootstrapRecipe
from agentbench_ts.sandbox.docker.client import docker_client
from agentbench_ts.sandbox.docker.standins import ensure_stand_in

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "tests" / "data" / "mswe" / "markedjs__marked-4039.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--mirror", type=Path, default=ROOT.parent / "shared" / "repos" / "markedjs-marked.git"
    )
    args = parser.parse_args()
    client = docker_client()
    base = BootstrapRecipe.load(ImageConfig().recipes / "base" / "bootstrap.json").tag()
    [record] = load_instances(RECORD)
    options = BuildOptions(
        network="auto",
        mirrors={"markedjs/marked": args.mirror},
        offline_base=base,
        cache_dir=default_cache_dir(),
    )
    harness = HarnessConfig(options, DockerLimits(cpus=2, memory_bytes=4 << 30), 1800)
    times: dict[str, float] = {}

    started = time.monotonic()
    ensure_stand_in(client, "node:20", base, default_cache_dir(), rebuild=True)
    times["stand-in node:20 build"] = time.monotonic() - started
    instance = create_instance(record)
    started = time.monotonic()
    image = ensure_instance_image(client, instance, replace(options, rebuild=True))
    times["instance chain build (COPY + npm ci)"] = time.monotonic() - started
    for name, command in [
        ("run.sh", instance.run()),
        ("test-run.sh", instance.test_patch_run()),
        ("fix-run.sh", instance.fix_patch_run()),
    ]:
        done = run_in_image(
            client,
            image,
            instance,
            command,
            fix_patch=record.fix_patch,
            limits=harness.limits,
            timeout_s=1800,
        )
        times[name] = done.elapsed_s
    started = time.monotonic()
    gold = evaluate_patch(client, record, record.fix_patch, harness)
    empty = evaluate_patch(client, record, "", harness)
    times["validate (gold + empty patch)"] = time.monotonic() - started
    assert gold.resolved and not empty.resolved, (gold.reason, empty.reason)
    unit = times["fix-run.sh"]
    for name, seconds in times.items():
        print(f"{name:40s} {seconds:7.1f} s   {seconds / unit:5.1f}x fix-run")


if __name__ == "__main__":
    main()
