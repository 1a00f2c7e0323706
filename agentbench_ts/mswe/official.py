"""Official-grade verdicts: the package's `generate_report` on the instance's recorded run and
test-patch results plus a new fix-run log, then the harness's rule: the report is valid and every
p2p, f2p, s2p and n2p test of the instance is again p2p, f2p, s2p and n2p."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

TEST_KINDS = ("p2p", "f2p", "s2p", "n2p")


@dataclass(frozen=True)
class Judgement:
    instance_id: str
    report: Any
    resolved: bool
    reason: str
    flaky: frozenset[str] = frozenset()
    """Tests whose verdict differed between repeated runs: left out of the judgement."""


def judge(instance: Any, record: Any, fix_result: Any, flaky: frozenset[str] = frozenset()) -> Judgement:
    """The official rule on a fix-run's log (or parsed TestResult); `flaky` tests are left out."""
    from multi_swe_bench.harness.report import generate_report  # noqa: PLC0415 (an optional extra)

    from agentbench_ts.mswe.flaky import without  # noqa: PLC0415

    if flaky:
        fix_result = without(
            instance.parse_log(fix_result) if isinstance(fix_result, str) else fix_result, flaky
        )
    report = generate_report(instance, record.run_result, record.test_patch_result, fix_result)
    if not report.valid:
        return Judgement(record.id, report, False, report.error_msg or "invalid report", flaky)
    for kind in TEST_KINDS:
        expected = [name for name in getattr(record, f"{kind}_tests") if name not in flaky]
        missing = [name for name in expected if name not in getattr(report, f"{kind}_tests")]
        if missing:
            return Judgement(record.id, report, False, f"{kind} tests not reproduced: {missing[:5]}", flaky)
    return Judgement(record.id, report, True, "", flaky)


def final_report(
    judgements: Sequence[Judgement],
    empty_patch_ids: list[str],
    error_ids: list[str],
    metadata: Mapping[str, Any] | None = None,
) -> str:
    """`final_report.json` in the official harness's FinalReport form. An empty patch is submitted,
    completed and unresolved whether or not it was run; an error is submitted and incomplete.
    `metadata` (how the images were made, e.g. base stand-ins) is added under its own key."""
    from multi_swe_bench.harness.report import FinalReport  # noqa: PLC0415

    judged = {j.instance_id for j in judgements}
    completed = sorted(judged | set(empty_patch_ids))
    resolved = sorted(j.instance_id for j in judgements if j.resolved)
    unresolved = sorted(set(completed) - set(resolved))
    errors = sorted(set(error_ids) - set(completed))
    submitted = sorted({*completed, *errors})
    report = FinalReport(
        total_instances=len(submitted),
        submitted_instances=len(submitted),
        completed_instances=len(completed),
        incomplete_instances=len(errors),
        resolved_instances=len(resolved),
        unresolved_instances=len(unresolved),
        empty_patch_instances=len(set(empty_patch_ids)),
        error_instances=len(errors),
        submitted_ids=submitted,
        completed_ids=completed,
        incomplete_ids=errors,
        resolved_ids=resolved,
        unresolved_ids=unresolved,
        empty_patch_ids=sorted(set(empty_patch_ids)),
        error_ids=errors,
    )
    written = report.dict()
    if metadata:
        written["metadata"] = dict(metadata)
    return json.dumps(written, indent=4, ensure_ascii=False)


def prediction(record: Any, fix_patch: str) -> str:
    """One line of a predictions file the official harness reads (its `Patch` record)."""
    return json.dumps(
        {"org": record.org, "repo": record.repo, "number": record.number, "fix_patch": fix_patch}
    )
