"""One instance through the harness: image, the fix-run script with a patch, the official verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentbench_ts.mswe.docker_run import BuildOptions, ScriptRun, ensure_instance_image, run_script
from agentbench_ts.mswe.grading import Judgement, judge
from agentbench_ts.sandbox.config import DockerLimits


@dataclass(frozen=True)
class HarnessConfig:
    build: BuildOptions = field(default_factory=BuildOptions)
    limits: DockerLimits = field(default_factory=DockerLimits)
    timeout_s: float = 1800.0


def create_instance(pr: Any) -> Any:
    import multi_swe_bench.harness.repos  # noqa: F401, PLC0415 (registers every official Instance)
    from multi_swe_bench.harness.image import Config  # noqa: PLC0415
    from multi_swe_bench.harness.instance import Instance  # noqa: PLC0415

    return Instance.create(pr, Config(need_clone=False, global_env=None, clear_env=False))


def _run(client: Any, instance: Any, command: str, fix_patch: str, config: HarnessConfig) -> ScriptRun:
    image = ensure_instance_image(client, instance, config.build)
    fix_patch_path = instance.dependency().fix_patch_path()
    return run_script(
        client,
        image,
        command,
        fix_patch=fix_patch,
        fix_patch_path=fix_patch_path,
        limits=config.limits,
        timeout_s=config.timeout_s,
    )


def evaluate_patch_run(
    client: Any, record: Any, fix_patch: str, config: HarnessConfig
) -> tuple[Judgement, ScriptRun]:
    """The instance's fix-run with this patch and the official verdict on its log."""
    instance = create_instance(record)
    fix_run = _run(client, instance, instance.fix_patch_run(), fix_patch, config)
    return judge(instance, record, fix_run.log), fix_run


def evaluate_patch(client: Any, record: Any, fix_patch: str, config: HarnessConfig) -> Judgement:
    """Resolved iff the instance's fix-run with this patch meets the official rule."""
    return evaluate_patch_run(client, record, fix_patch, config)[0]


def record_from_runs(client: Any, pr: Any, config: HarnessConfig) -> Any:
    """A dataset record made the way Multi-SWE-bench makes them: run, test-patch run, fix-patch run."""
    from multi_swe_bench.harness.dataset import Dataset  # noqa: PLC0415
    from multi_swe_bench.harness.report import generate_report  # noqa: PLC0415

    instance = create_instance(pr)
    logs = [
        _run(client, instance, command, pr.fix_patch, config).log
        for command in (
            instance.run(),
            instance.test_patch_run(),
            instance.fix_patch_run(),
        )
    ]
    return Dataset.build(pr, generate_report(instance, *logs))
