"""Official-grade verdicts: the package's `generate_report` on the instance's recorded run and
test-patch results plus a new fix-run log, then the harness's rule: the report is valid and every
p2p, f2p, s2p and n2p test of the instance is again p2p, f2p, s2p and n2p."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

TEST_KINDS = ("p2p", "f2p", "s2p", "n2p")


@dataclass(frozen=True)
class Judgement:
    instance_id: str
    report: Any
    resolved: bool
    reason: str


def judge(instance: Any, record: Any, fix_log: str) -> Judgement:
    from multi_swe_bench.harness.report import generate_report  # noqa: PLC0415 (an optional extra)

    report = generate_report(instance, record.run_result, record.test_patch_result, fix_log)
    if not report.valid:
        return Judgement(record.id, report, False, report.error_msg or "invalid report")
    for kind in TEST_KINDS:
        missing = [
            name for name in getattr(record, f"{kind}_tests") if name not in getattr(report, f"{kind}_tests")
        ]
        if missing:
            return Judgement(record.id, report, False, f"{kind} tests not reproduced: {missing[:5]}")
    return Judgement(record.id, report, True, "")


def final_report(judgements: Sequence[Judgement], empty_patch_ids: list[str], error_ids: list[str]) -> str:
    """`final_report.json` as the official harness writes it (FinalReport), plus empty patches."""
    from multi_swe_bench.harness.report import FinalReport  # noqa: PLC0415

    resolved = [j.report for j in judgements if j.resolved]
    unresolved = [j.report for j in judgements if not j.resolved]
    summary = FinalReport.from_reports(resolved, unresolved, []).dict()
    summary["empty_patch_ids"] = sorted(empty_patch_ids)
    summary["empty_patch_instances"] = len(empty_patch_ids)
    summary["error_ids"] = sorted(error_ids)
    summary["error_instances"] = len(error_ids)
    summary["incomplete_ids"] = sorted(error_ids)
    summary["incomplete_instances"] = len(error_ids)
    summary["submitted_ids"] = sorted({*summary["submitted_ids"], *error_ids})
    summary["submitted_instances"] = len(summary["submitted_ids"])
    summary["total_instances"] = summary["submitted_instances"]
    return json.dumps(summary, indent=4, ensure_ascii=False)


def prediction(record: Any, fix_patch: str) -> str:
    """One line of a predictions file the official harness reads (its `Patch` record)."""
    return json.dumps(
        {"org": record.org, "repo": record.repo, "number": record.number, "fix_patch": fix_patch}
    )
