"""Instances from real pull requests, made as Multi-SWE-bench made its dataset: the change between the
base and the merged commit is split into fix_patch (source) and test_patch (tests); the spec is the
one registered for the pull request's number (its range, else the repository's plain spec); the
instance's run, test-run and fix-run scripts run in its image; the spec's own `parse_log` turns their
logs into a Report, and the Report into a dataset record. The issues it resolves are read from
`Fixes #N` (and the other closing keywords) in its title, body and commit messages, as the official
collector reads them; their texts come from the user. An instance with no fail-to-pass test proves
nothing and is refused with the test names each run saw, side by side, and the likely cause."""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentbench_ts.errors import TaskDataError
from agentbench_ts.mswe.config import HarnessConfig
from agentbench_ts.mswe.instances import LANGUAGES
from agentbench_ts.mswe.runs import MadeRecord, record_from_runs
from agentbench_ts.mswe.specs import SpecChoice, load_specs, select_spec
from agentbench_ts.plumbing.git import git

TEST_GLOBS = (
    "test/*",
    "tests/*",
    "spec/*",
    "specs/*",
    "__tests__/*",
    "*/test/*",
    "*/tests/*",
    "*/__tests__/*",
    "*.test.*",
    "*.spec.*",
    "*_test.*",
)
"""Where tests live unless told: a path matching any of these goes into test_patch."""
CLOSING_KEYWORDS = ("close", "closes", "closed", "fix", "fixes", "fixed", "resolve", "resolves", "resolved")
_REFERENCE = re.compile(r"(\w+)\s+#(\d+)")
_COMMENT = re.compile(r"(?s)<!--.*?-->")
SHOWN_NAMES = 8
"""Test names shown per stage when an instance is refused."""


@dataclass(frozen=True)
class IssueText:
    number: int
    title: str
    body: str | None = None


@dataclass(frozen=True)
class PullRequestSource:
    repo: Path
    """A clone or bare mirror holding both commits."""
    org: str
    name: str
    number: int
    base: str
    merged: str
    title: str = ""
    body: str = ""
    test_globs: Sequence[str] = field(default_factory=lambda: TEST_GLOBS)
    spec: str | None = None
    """The spec's registered name (after ORG/); None: the one registered for the number."""
    spec_modules: Sequence[str] = ()
    """Modules that register the users' specs, imported first."""
    lang: str = ""
    """typescript or javascript; "": the spec's language."""
    issues: Sequence[IssueText] = ()
    """Texts of issues it resolves (e.g. from an issue file), referenced or not."""
    issue_title: str = ""
    issue_body: str | None = None
    issue_number: int | None = None
    """Whose text issue_title/issue_body are; None: the one issue the pull request references."""


def is_test_path(path: str, globs: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(path, pattern) for pattern in globs)


def split_change(source: PullRequestSource) -> tuple[str, str]:
    """(fix_patch, test_patch) of base..merged: test files apart from the rest."""

    def run(*argv: str) -> str:
        return git(source.repo, *argv, error=TaskDataError, what=f"reading {source.org}/{source.name}")

    base = run("rev-parse", "--verify", f"{source.base}^{{commit}}").strip()
    merged = run("rev-parse", "--verify", f"{source.merged}^{{commit}}").strip()
    changed = [line for line in run("diff", "--name-only", "--no-renames", base, merged).splitlines() if line]
    tests = [path for path in changed if is_test_path(path, source.test_globs)]
    code = [path for path in changed if path not in tests]
    if not code:
        raise TaskDataError(
            f"{source.merged} changes only test files: there is no fix to make an instance of"
        )
    if not tests:
        raise TaskDataError(
            f"{source.merged} changes no test file (by {', '.join(source.test_globs)}): give --test-glob"
        )
    fix = run("diff", "--no-renames", "--binary", base, merged, "--", *code)
    test = run("diff", "--no-renames", "--binary", base, merged, "--", *tests)
    return fix, test


def closing_references(text: str) -> list[int]:
    """Issue numbers after a closing keyword (`Fixes #12`, `closes #3`), HTML comments left out, in
    order of first mention. (The official collector keeps one number per keyword; this keeps all.)"""
    found: list[int] = []
    for word, number in _REFERENCE.findall(_COMMENT.sub("", text)):
        if word.lower() in CLOSING_KEYWORDS and int(number) != 0 and int(number) not in found:
            found.append(int(number))
    return found


def read_issue_file(path: Path) -> list[IssueText]:
    """Issues from GitHub's JSON (`gh issue view N --json number,title,body`: one object or a list)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TaskDataError(f"{path}: not an issue file ({exc})") from exc
    issues = []
    for entry in data if isinstance(data, list) else [data]:
        if not (isinstance(entry, dict) and isinstance(entry.get("number"), int) and "title" in entry):
            raise TaskDataError(f'{path}: each issue needs "number" (an integer) and "title"; got {entry!r}')
        body = entry.get("body")
        issues.append(IssueText(entry["number"], str(entry["title"]), None if body is None else str(body)))
    return issues


def resolved_issues(source: PullRequestSource, messages: str, title: str, body: str) -> list[Any]:
    """The issues the pull request resolves: every closing reference in its title, body and commit
    messages, with the text given for it, and every issue given."""
    from multi_swe_bench.harness.pull_request import ResolvedIssue  # noqa: PLC0415 (an optional extra)

    given = {issue.number: issue for issue in source.issues}
    numbers = closing_references(f"{title}\n{body}\n{messages}")
    if source.issue_title or source.issue_body:
        number = source.issue_number or (numbers[0] if len(numbers) == 1 else None)
        if number is None:
            raise TaskDataError(
                f"whose text is --issue-title? The pull request references {numbers or 'no issue'}"
                " (Fixes #N): give --issue-number"
            )
        given[number] = IssueText(number, source.issue_title, source.issue_body)
    numbers += [number for number in given if number not in numbers]
    texts = {number: given.get(number, IssueText(number, "")) for number in numbers}
    return [ResolvedIssue(number, text.title, text.body) for number, text in texts.items()]


def record_language(source: PullRequestSource, choice: SpecChoice) -> str:
    lang = source.lang or choice.spec.language
    if lang not in LANGUAGES:
        raise TaskDataError(
            f"the spec {choice.spec.key} does not say it is for {' or '.join(LANGUAGES)} (it says {lang!r}):"
            ' give --lang, or set `language = "typescript"` on the spec class'
        )
    return lang


def pull_request(source: PullRequestSource) -> Any:
    from multi_swe_bench.harness.pull_request import Base, PullRequest  # noqa: PLC0415 (an optional extra)

    def run(*argv: str) -> str:
        return git(source.repo, *argv, error=TaskDataError, what=f"reading {source.org}/{source.name}")

    load_specs(source.spec_modules)
    choice = select_spec(source.org, source.name, source.number, source.spec)
    fix, test = split_change(source)
    sha = run("rev-parse", f"{source.base}^{{commit}}").strip()
    title = source.title or run("log", "-1", "--format=%s", source.merged).strip()
    body = source.body or run("log", "-1", "--format=%b", source.merged).strip()
    messages = run("log", "--format=%B", f"{sha}..{source.merged}")
    return PullRequest(
        org=source.org,
        repo=source.name,
        number=source.number,
        state="closed",
        title=title,
        body=body,
        base=Base(label=f"{source.org}:base", ref="base", sha=sha),
        resolved_issues=resolved_issues(source, messages, title, body),
        fix_patch=fix,
        test_patch=test,
        number_interval=choice.number_interval,
        lang=record_language(source, choice),
    )


def _names(result: Any, kind: str) -> set[str]:
    return set(getattr(result, f"{kind}_tests"))


def _stage(label: str, names: set[str]) -> str:
    listed = "; ".join(repr(name) for name in sorted(names)[:SHOWN_NAMES]) or "none"
    more = f" (+{len(names) - SHOWN_NAMES} more)" if len(names) > SHOWN_NAMES else ""
    return f"  {label} ({len(names)}): {listed}{more}"


def likely_cause(record: Any) -> str:
    """Why no test went from failing to passing, as far as the three runs tell."""
    test, fix = record.test_patch_result, record.fix_patch_result
    failing = _names(test, "failed")
    test_seen = failing | _names(test, "passed") | _names(test, "skipped")
    fix_seen = _names(fix, "passed") | _names(fix, "failed") | _names(fix, "skipped")
    mismatch = (
        "the spec's parse_log names or reads this runner's lines wrongly (a parser mismatch, e.g. a reader"
        " written for jest on vitest output); give a spec that reads this runner (--spec-module)"
    )
    if not fix_seen:
        return (
            "the fix run gave no test results: it did not build or install (see the run's output), or the"
            " spec's parse_log reads none of this runner's lines"
        )
    if not failing and _names(fix, "passed") - test_seen:
        return f"tests pass with the fix that were never seen failing with the test patch alone: {mismatch}"
    if not failing:
        return (
            "no test failed with the test patch alone: the new tests did not run (is the test command"
            " given their files, or the test globs too wide?), or they pass without the fix"
        )
    if not failing & fix_seen:
        return (
            f"the tests that fail with the test patch never appear in the fix run by those names: {mismatch}"
        )
    if failing <= _names(fix, "failed"):
        return (
            "the tests that fail with the test patch still fail with the fix: the fix does not make them"
            " pass in this image (the image's Node too old for the repository, a build step missing)"
        )
    return "see the names above; common causes: an old Node in the image, a failed install, test globs"


def refusal(made: MadeRecord, source: PullRequestSource) -> str:
    """The refusal of an instance without fail-to-pass tests: each stage's test names, side by side."""
    record = made.record
    lines = [
        f"{source.org}/{source.name}#{source.number} has no fail-to-pass test, so it is no instance.",
        _stage("passed in the run", _names(record.run_result, "passed")),
        _stage("failed with the test patch", _names(record.test_patch_result, "failed")),
        _stage("passed with the fix", _names(record.fix_patch_result, "passed")),
        _stage("failed with the fix", _names(record.fix_patch_result, "failed")),
    ]
    if made.flaky:
        lines.append(f"  flaky (left out): {made.flaky}")
    lines.append(f"Likely cause: {likely_cause(record)}.")
    return "\n".join(lines)


def make_instance(client: Any, source: PullRequestSource, config: HarnessConfig, runs: int = 1) -> MadeRecord:
    """The dataset record of the pull request; refused when no test goes from failing to passing."""
    made = record_from_runs(client, pull_request(source), config, runs=runs)
    if not made.record.f2p_tests:
        raise TaskDataError(refusal(made, source))
    return made
