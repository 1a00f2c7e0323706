"""Multi-SWE-bench orchestration: prove instances (gold resolves, an empty patch does not), and judge
a predictions file the official way (per-instance reports and final_report.json). A prediction is
graded as any recorded patch is: applied to the instance's start state in a fresh sandbox, judged by
the 'mswe' grader (see `tasks.grading.grade_patch`, which `agentbench regrade` uses too)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agentbench_ts.errors import SandboxError, TaskDataError
from agentbench_ts.mswe.config import HarnessConfig
from agentbench_ts.mswe.grader import MsweGrader, MsweGraderOptions
from agentbench_ts.mswe.instances import load_instances
from agentbench_ts.mswe.official import Judgement, final_report
from agentbench_ts.mswe.runs import evaluate_patch
from agentbench_ts.mswe.source import JAVASCRIPT_HINT, MsweOptions, MsweSource
from agentbench_ts.mswe.tasks import SUITE, task_id
from agentbench_ts.sandbox.config import DockerSandboxConfig
from agentbench_ts.sandbox.docker.client import docker_client
from agentbench_ts.sandbox.registry import sandbox_factory
from agentbench_ts.tasks.grading import grade_patch
from agentbench_ts.tasks.sources import SourceContext


@dataclass(frozen=True)
class InstanceVerdict:
    instance_id: str
    ok: bool
    """validate: gold resolves and an empty patch does not; evaluate: the prediction resolves."""
    reason: str = ""


@dataclass(frozen=True)
class Evaluation:
    verdicts: list[InstanceVerdict] = field(default_factory=list)
    final_report: Path | None = None

    @property
    def passed(self) -> int:
        return sum(v.ok for v in self.verdicts)


def validate_instances(
    instances: Path,
    *,
    options: MsweOptions,
    grading: MsweGraderOptions,
    context: SourceContext,
    on_instance: Callable[[InstanceVerdict], None] = lambda _: None,
    runs: int = 1,
) -> Evaluation:
    """Each instance's gold patch resolves it and an empty patch does not (images built as needed).
    With runs > 1 both are run that often; tests whose verdict differs are named flaky and left out."""
    records = load_instances(context.path(str(instances)), options.languages, options.spec_module)
    if not records:
        hint = "" if "javascript" in options.languages else JAVASCRIPT_HINT
        raise TaskDataError(f"{instances} holds no {' or '.join(options.languages)} instances{hint}")
    harness = HarnessConfig(options.build(context), grading.limits(), grading.timeout_s)
    client = docker_client()
    verdicts = []
    for record in records:
        gold = evaluate_patch(client, record, record.fix_patch, harness, runs)
        empty = evaluate_patch(client, record, "", harness, runs)
        reason = "" if gold.resolved else f"the gold patch fails: {gold.reason}"
        if gold.resolved and empty.resolved:
            reason = "an empty patch resolves it too"
        if flaky := sorted(gold.flaky | empty.flaky):
            reason += f"{'; ' if reason else ''}flaky (left out): {', '.join(flaky[:10])}"
        verdict = InstanceVerdict(str(record.id), gold.resolved and not empty.resolved, reason)
        on_instance(verdict)
        verdicts.append(verdict)
    return Evaluation(verdicts)


def read_predictions(path: Path) -> dict[str, str]:
    """Instance id -> fix patch, from the official predictions format."""
    patches: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                entry = json.loads(line)
                patches[f"{entry['org']}/{entry['repo']}:pr-{entry['number']}"] = str(entry["fix_patch"])
            except (ValueError, KeyError, TypeError) as exc:
                raise TaskDataError(f"{path}:{number} is not a prediction: {exc}") from exc
    return patches


def evaluate_predictions(
    instances: Path,
    predictions: Path,
    out_dir: Path,
    *,
    options: MsweOptions,
    grading: MsweGraderOptions,
    context: SourceContext,
    on_instance: Callable[[InstanceVerdict], None] = lambda _: None,
) -> Evaluation:
    """Judge every prediction of an instance in `instances`: `out_dir/reports/<instance>.json` and
    `out_dir/final_report.json`, as the official harness writes them."""
    from multi_swe_bench.harness.report import Report  # noqa: PLC0415 (an optional extra)

    patches = read_predictions(context.path(str(predictions)))
    source = MsweSource(context.path(str(instances)), options.model_copy(update={"gold": False}), context)
    loaded = source.load()
    assert isinstance(context.sandbox, DockerSandboxConfig)  # MsweSource checked it
    make_sandbox = sandbox_factory(context.sandbox)
    grader = MsweGrader(docker_client(), grading)
    records = {task_id(record, SUITE): record for record in source.records}
    (out_dir / "reports").mkdir(parents=True, exist_ok=True)
    judgements, empty, errors, verdicts = [], [], [], []
    for key, why in loaded.skipped.items():
        if str(records[key].id) in patches:
            errors.append(str(records[key].id))
            verdicts.append(InstanceVerdict(str(records[key].id), False, f"not prepared: {why}"))
    for task in (t for t in loaded.tasks if str(records[t.task_id].id) in patches):
        record = records[task.task_id]
        try:
            report = grade_patch(task, patches[record.id], make_sandbox, grader)
        except (SandboxError, TaskDataError) as exc:
            errors.append(str(record.id))
            verdicts.append(InstanceVerdict(str(record.id), False, f"not graded: {exc}"))
            on_instance(verdicts[-1])
            continue
        if report.harness_report is None:
            empty.append(str(record.id))
        else:
            official = Report.from_json(json.dumps(report.harness_report))
            judgements.append(Judgement(str(record.id), official, report.resolved, report.summary))
            name = f"{record.org}__{record.repo}-{record.number}.json"
            written = json.loads(official.json())
            if substitution := source.substitutions.get(str(record.id)):
                written["metadata"] = {"base_substitution": substitution}
            (out_dir / "reports" / name).write_text(json.dumps(written, ensure_ascii=False), encoding="utf-8")
        verdict = InstanceVerdict(str(record.id), report.resolved, "" if report.resolved else report.summary)
        on_instance(verdict)
        verdicts.append(verdict)
    path = out_dir / "final_report.json"
    metadata = {"base_substitutions": source.substitutions} if source.substitutions else None
    path.write_text(final_report(judgements, empty, errors, metadata) + "\n", encoding="utf-8")
    return Evaluation(verdicts, path)
