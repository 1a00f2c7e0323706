"""Multi-SWE-bench instances as Tasks: the instance image's repository at its start state, the
problem statement (title, body and resolved issues), the gold fix as files for the oracle, and the
'mswe' grader, which judges the episode's patch with the official harness."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import JsonValue

from agentbench_ts.errors import SandboxError, TaskDataError
from agentbench_ts.mswe.config import BuildOptions
from agentbench_ts.mswe.images import ensure_instance_image, repo_dir_in_image
from agentbench_ts.mswe.specs import create_instance, user_spec_module
from agentbench_ts.plumbing.git import git, git_bytes
from agentbench_ts.sandbox.base import BASE_REF
from agentbench_ts.sandbox.docker.workspace import WorkspaceCopies
from agentbench_ts.tasks.task import Task

SUITE = "mswe"
GRADER = "mswe"
SPEC_MODULE_KEY = "spec_module"
"""grader_data key: the module that registers a user's spec of the instance."""


def task_id(record: Any, suite: str = SUITE) -> str:
    return f"{suite}/{record.id}"


def problem_statement(record: Any) -> str:
    """What the model reads: the pull request's title and body, then each issue it resolves."""
    parts = [f"Resolve this problem in the repository {record.org}/{record.repo}.", "", record.title.strip()]
    if record.body and record.body.strip():
        parts += ["", record.body.strip()]
    for issue in record.resolved_issues:
        title = (issue.title or "").strip()
        parts += ["", f"Issue #{issue.number}: {title}" if title else f"Issue #{issue.number}"]
        if issue.body and issue.body.strip():
            parts.append(issue.body.strip())
    return "\n".join(parts)


def _git(repo: Path, *argv: str, env: dict[str, str] | None = None, data: str | None = None) -> str:
    return git(repo, *argv, env=env, stdin=data, error=TaskDataError)


def write_gold(repo: Path, fix_patch: str, target: Path) -> None:
    """Every file the fix patch adds or changes, with its content after the patch, under `target`.
    The patch is applied to the start state in a scratch index: the repository is not touched."""
    base = BASE_REF if _git(repo, "for-each-ref", BASE_REF).strip() else "HEAD"
    with tempfile.TemporaryDirectory(prefix="mswe-gold-") as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        _git(repo, "read-tree", base, env=env)
        _git(repo, "apply", "--cached", "--whitespace=nowarn", "-", env=env, data=fix_patch)
        changed = _git(repo, "diff", "--cached", "--name-only", "--diff-filter=d", base, env=env)
        staging = target.with_name(f".{target.name}-{uuid.uuid4().hex[:8]}")
        staging.mkdir(parents=True)
        try:
            for rel in changed.splitlines():
                blob = git_bytes(repo, "show", f":{rel}", env=env, error=TaskDataError)
                (staging / rel).parent.mkdir(parents=True, exist_ok=True)
                (staging / rel).write_bytes(blob)
            staging.rename(target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            if not target.is_dir():  # else another process wrote the same gold first
                raise


def instance_task(
    record: Any, instance: Any, *, image: str, repo_dir: str, start: Path, gold: Path | None, suite: str
) -> Task:
    required = sorted({*record.f2p_tests, *record.s2p_tests, *record.n2p_tests})
    grader_data: dict[str, JsonValue] = {"instance": json.loads(record.to_json())}
    if (module := user_spec_module(record)) is not None:
        grader_data[SPEC_MODULE_KEY] = module  # a grader in another process imports it first
    return Task(
        task_id=task_id(record, suite),
        suite=suite,
        instructions=problem_statement(record),
        repo_dir=start,
        gold_dir=gold,
        test_command=instance.fix_patch_run(),
        fail_to_pass=tuple(required),
        pass_to_pass=tuple(sorted(record.p2p_tests)),
        image=image,
        image_repo_dir=repo_dir,
        grader=GRADER,
        tags=(f"{record.org}/{record.repo}", str(record.lang or "").lower()),
        grader_data=grader_data,
    )


def _prepare(
    client: Any, record: Any, build: BuildOptions, workspaces: WorkspaceCopies, *, suite: str, gold: bool
) -> Task:
    """The record's image built (or reused), its repository exported once, its gold written."""
    instance = create_instance(record)
    image = ensure_instance_image(client, instance, build)
    repo_dir = repo_dir_in_image(instance)
    start = workspaces.pristine(image, repo_dir)
    gold_dir = None
    if gold:
        key = hashlib.sha256(f"{start}\0{record.fix_patch}".encode()).hexdigest()[:24]
        gold_dir = workspaces.root / "gold" / key
        if not gold_dir.exists():
            write_gold(start, record.fix_patch, gold_dir)
    return instance_task(
        record, instance, image=image, repo_dir=repo_dir, start=start, gold=gold_dir, suite=suite
    )


def instance_tasks(
    client: Any,
    records: Sequence[Any],
    build: BuildOptions,
    workspaces: WorkspaceCopies,
    suite: str = SUITE,
    *,
    gold: bool = True,
) -> list[Task]:
    """One Task per record; the first instance that cannot be prepared raises."""
    return [_prepare(client, record, build, workspaces, suite=suite, gold=gold) for record in records]


def prepare_tasks(
    client: Any,
    records: Sequence[Any],
    build: BuildOptions,
    workspaces: WorkspaceCopies,
    suite: str = SUITE,
    *,
    gold: bool = True,
) -> tuple[list[Task], dict[str, str]]:
    """Tasks for the records that can be prepared, and task id -> why for the others (an image that
    does not build, a gold patch that does not apply): a long run goes on without them."""
    tasks, failures = [], {}
    for record in records:
        try:
            tasks.append(_prepare(client, record, build, workspaces, suite=suite, gold=gold))
        except (SandboxError, TaskDataError) as exc:
            failures[task_id(record, suite)] = str(exc)
    return tasks, failures
