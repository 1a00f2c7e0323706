"""Loading a bundled suite: <suite>/suite.json plus one folder per task.

Layout:
    suite.json             {"schema_version", "name", "toolchain", "test_command", "test_timeout_s"}
    <name>/task.json       {"schema_version", "name", "instructions", "fail_to_pass", "pass_to_pass"}
    <name>/repo/           the repository at its base state
    <name>/gold/           the files of the fix (same relative paths as in repo/)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, JsonValue, ValidationError

from agentbench_ts.errors import ConfigError, TaskDataError
from agentbench_ts.registry import CommaList, parse_options
from agentbench_ts.sandbox.toolchain import ensure_toolchain
from agentbench_ts.tasks.sources import LoadedTasks, SourceContext
from agentbench_ts.tasks.task import Task

_M = TypeVar("_M", bound=BaseModel)


class SuiteFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = 1
    name: str
    description: str = ""
    toolchain: str | None = None
    test_command: str
    test_timeout_s: float = 120.0
    warm_tsc: bool = True
    """With a toolchain: `tsc` in the test command goes through a compiler kept warm in the sandbox
    (the toolchain's TypeScript, the same verdicts); false runs it cold every time."""


class TaskFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = 1
    name: str
    instructions: str
    fail_to_pass: list[str]
    pass_to_pass: list[str] = []
    test_command: str | None = None
    split: str | None = None
    tags: list[str] = []


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TaskDataError(f"missing {path}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TaskDataError(f"{path} is not valid JSON: {exc}") from exc


def _parse(model: type[_M], path: Path) -> _M:
    try:
        return model.model_validate(_read_json(path))
    except ValidationError as exc:
        raise TaskDataError(f"{path} is malformed:\n{exc}") from exc


def _load_task(folder: Path, suite: SuiteFile, toolchain: Path | None) -> Task:
    spec = _parse(TaskFile, folder / "task.json")
    if spec.name != folder.name:
        raise TaskDataError(f"{folder}/task.json names {spec.name!r}; the folder is {folder.name!r}")
    if not spec.fail_to_pass:
        raise TaskDataError(f"{folder}/task.json lists no fail_to_pass tests")
    repo, gold = folder / "repo", folder / "gold"
    if not repo.is_dir():
        raise TaskDataError(f"{folder} has no repo/ folder")
    for fixed in gold.rglob("*") if gold.is_dir() else []:
        if fixed.is_file() and not (repo / fixed.relative_to(gold)).exists():
            raise TaskDataError(f"gold file {fixed} has no counterpart in {repo}")
    return Task(
        task_id=f"{suite.name}/{spec.name}",
        suite=suite.name,
        instructions=spec.instructions,
        repo_dir=repo.resolve(),
        gold_dir=gold.resolve() if gold.is_dir() else None,
        toolchain_dir=toolchain,
        test_command=spec.test_command or suite.test_command,
        test_timeout_s=suite.test_timeout_s,
        fail_to_pass=tuple(spec.fail_to_pass),
        pass_to_pass=tuple(spec.pass_to_pass),
        split=spec.split,
        tags=tuple(spec.tags),
        warm_tsc=suite.warm_tsc and toolchain is not None,
    )


def load_suite(suite_dir: Path | str, only: list[str] | None = None) -> list[Task]:
    """Every task of the suite (or those named in `only`), sorted by id."""
    root = Path(suite_dir)
    if not root.is_dir():
        raise TaskDataError(f"{root}: no such suite folder")
    suite = _parse(SuiteFile, root / "suite.json")
    toolchain = (root / suite.toolchain).resolve() if suite.toolchain else None
    folders = sorted(p for p in root.iterdir() if (p / "task.json").exists())
    if only:
        missing = set(only) - {p.name for p in folders}
        if missing:
            raise TaskDataError(f"no such task(s) in {root}: {', '.join(sorted(missing))}")
        folders = [p for p in folders if p.name in only]
    if not folders:
        raise TaskDataError(f"{root} holds no tasks (no */task.json)")
    return [_load_task(folder, suite, toolchain) for folder in folders]


class SuiteOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    only: CommaList = ()
    """Task names to keep (default: every task)."""


class SuiteSource:
    """`suite:DIR`: a bundled-format suite folder; its pinned toolchain is installed on first use."""

    def __init__(self, root: Path, options: SuiteOptions, context: SourceContext) -> None:
        self.root, self.options, self._context = root, options, context

    def load(self) -> LoadedTasks:
        tasks = load_suite(self.root, list(self.options.only) or None)
        toolchains = {task.toolchain_dir for task in tasks if task.toolchain_dir is not None}
        ready = {
            folder: ensure_toolchain(folder, self._context.cache_dir, log=self._context.log)
            for folder in toolchains
        }
        return LoadedTasks(
            [
                task.model_copy(update={"toolchain_dir": ready[task.toolchain_dir]})
                if task.toolchain_dir is not None
                else task
                for task in tasks
            ]
        )


def suite_source(argument: str, options: Mapping[str, JsonValue], context: SourceContext) -> SuiteSource:
    if not argument:
        raise ConfigError("the suite source needs a folder: suite:DIR (e.g. suite:tasks/quixbugs-ts)")
    return SuiteSource(context.path(argument), parse_options(SuiteOptions, options, "task source 'suite'"), context)
