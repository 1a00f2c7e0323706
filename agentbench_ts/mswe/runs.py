"""The runs step: an instance's scripts (run.sh, test-run.sh, fix-run.sh) in fresh containers of its
image (`--network none`, our limits, the fix patch mounted read-only where the instance expects it, a
timeout), their logs read by the spec's parse_log, and the official verdict or record made of them.
A script's log is stdout and stderr together, as the official harness reads it (runners such as jest
report on stderr)."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from agentbench_ts.mswe.config import HarnessConfig
from agentbench_ts.mswe.flaky import varying, without
from agentbench_ts.mswe.images import ensure_instance_image
from agentbench_ts.mswe.official import Judgement, judge
from agentbench_ts.mswe.specs import create_instance
from agentbench_ts.plumbing.process import CommandResult
from agentbench_ts.sandbox.config import DockerLimits

SCRIPT_LABEL = "agentbench.mswe"


def run_script(
    client: Any,
    image: str,
    command: str,
    *,
    fix_patch: str,
    fix_patch_path: str,
    limits: DockerLimits,
    timeout_s: float,
) -> CommandResult:
    """Run `command` in a fresh container of `image`, offline, with `fix_patch` at `fix_patch_path`."""
    import requests  # noqa: PLC0415 (comes with docker)

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mswe-run-") as tmp:
        patch = Path(tmp) / "fix.patch"
        patch.write_text(fix_patch, encoding="utf-8")
        container = client.containers.run(
            image,
            ["bash", "-c", command],
            detach=True,
            network_mode="none",
            **limits.resources(),
            volumes={str(patch): {"bind": fix_patch_path, "mode": "ro"}},
            security_opt=["no-new-privileges"],
            labels={SCRIPT_LABEL: "1"},
        )
        try:
            try:
                exit_code: int | None = container.wait(timeout=timeout_s)["StatusCode"]
                timed_out = False
            except requests.exceptions.ConnectionError:
                container.kill()
                exit_code, timed_out = None, True
            raw = container.logs(stdout=True, stderr=True)
        finally:
            container.remove(force=True)
    log = raw.decode("utf-8", errors="replace")
    truncated = len(log) > limits.max_output_bytes
    if truncated:
        log = log[: limits.max_output_bytes // 2] + "\n[truncated]\n" + log[-limits.max_output_bytes // 2 :]
    return CommandResult(exit_code, log, "", timed_out, truncated, time.monotonic() - started)


def run_in_image(
    client: Any,
    image: str,
    instance: Any,
    command: str,
    *,
    fix_patch: str,
    limits: DockerLimits,
    timeout_s: float,
) -> CommandResult:
    return run_script(
        client,
        image,
        command,
        fix_patch=fix_patch,
        fix_patch_path=instance.dependency().fix_patch_path(),
        limits=limits,
        timeout_s=timeout_s,
    )


def fix_run(
    client: Any, image: str, record: Any, fix_patch: str, *, limits: DockerLimits, timeout_s: float
) -> tuple[Judgement, CommandResult]:
    """The instance's fix-run with this patch in a fresh container of its (built) image, judged."""
    instance = create_instance(record)
    command = instance.fix_patch_run()
    run = run_in_image(
        client, image, instance, command, fix_patch=fix_patch, limits=limits, timeout_s=timeout_s
    )
    return judge(instance, record, run.output), run


def evaluate_patch(
    client: Any, record: Any, fix_patch: str, config: HarnessConfig, runs: int = 1
) -> Judgement:
    """Resolved iff the instance's fix-run with this patch meets the official rule (image built first).
    With runs > 1 the fix-run is repeated; tests whose verdict differs are flaky and left out."""
    instance = create_instance(record)
    image = ensure_instance_image(client, instance, config.build)
    results = [
        instance.parse_log(
            run_in_image(
                client,
                image,
                instance,
                instance.fix_patch_run(),
                fix_patch=fix_patch,
                limits=config.limits,
                timeout_s=config.timeout_s,
            ).output
        )
        for _ in range(max(1, runs))
    ]
    return judge(instance, record, results[0], frozenset(varying(results)))


@dataclass(frozen=True)
class MadeRecord:
    record: Any
    """The dataset record (`multi_swe_bench.harness.dataset.Dataset`), flaky tests left out."""
    flaky: dict[str, list[str]]
    """run, test or fix -> tests whose verdict differed between that script's repeated runs."""
    elapsed_s: dict[str, float]
    """Seconds of each script's first run."""


def record_from_runs(client: Any, pr: Any, config: HarnessConfig, runs: int = 1) -> MadeRecord:
    """A dataset record made the Multi-SWE-bench way: run, test-run and fix-run logs -> Report -> Dataset.
    Each script runs `runs` times; a test whose verdict differs between them is flaky and left out of
    every stage's result (so of f2p, p2p, s2p and n2p)."""
    from multi_swe_bench.harness.dataset import Dataset  # noqa: PLC0415
    from multi_swe_bench.harness.report import generate_report  # noqa: PLC0415

    instance = create_instance(pr)
    image = ensure_instance_image(client, instance, config.build)
    stages = {"run": instance.run(), "test": instance.test_patch_run(), "fix": instance.fix_patch_run()}
    results, flaky, elapsed = {}, {}, {}
    for stage, command in stages.items():
        done = [
            run_in_image(
                client,
                image,
                instance,
                command,
                fix_patch=pr.fix_patch,
                limits=config.limits,
                timeout_s=config.timeout_s,
            )
            for _ in range(max(1, runs))
        ]
        parsed = [instance.parse_log(run.output) for run in done]
        results[stage], flaky[stage], elapsed[stage] = parsed, sorted(varying(parsed)), done[0].elapsed_s
    every_flaky = {name for names in flaky.values() for name in names}
    report = generate_report(instance, *(without(results[stage][0], every_flaky) for stage in stages))
    # Dataset.build leaves number_interval out, and the record would then name the plain spec.
    record = replace(Dataset.build(pr, report), number_interval=pr.number_interval)
    return MadeRecord(record, {k: v for k, v in flaky.items() if v}, elapsed)
