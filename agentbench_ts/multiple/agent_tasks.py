"""Agent mode: each MultiPL-E problem as a repository task (`multiple:FILE` as a task source).

The repository holds `solution.ts`: the problem's signature under its description (every line
commented out; see `commented_prompt`) and a body that throws. The tests stay out of the repository
the model's tools reach (unless `show_tests`): they travel inside the task's test command, which
writes them and grade.js outside the repository ($HOME of the sandbox) and runs grade.js there:
solution + newline + tests through a cold `tsc --target esnext` and `node`, with MultiPL-E's
verdicts, printed as TAP; resolved iff the verdict is OK. The TypeScript toolchain is the package's
own, installed on first use.

Options: `config=humaneval-ts|mbpp-ts` (hub records), `show_tests`, `timeout_s=15` (tsc and node
each), `solutions=FILE` (completions, MultiPL-E's format: the first of each problem is its gold fix).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shlex
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from agentbench_ts.errors import ConfigError, TaskDataError
from agentbench_ts.multiple.files import read_completions
from agentbench_ts.multiple.problems import MultiPLERecord, comment_prompt, load_records
from agentbench_ts.registry import parse_options
from agentbench_ts.sandbox.toolchain import ensure_toolchain
from agentbench_ts.tasks.sources import LoadedTasks, SourceContext
from agentbench_ts.tasks.task import Task

TOOLCHAIN = Path(__file__).resolve().with_name("toolchain")
"""The pinned TypeScript the MultiPL-E programs are checked with (package data; npm ci on first use)."""
GRADE_SCRIPT = Path(__file__).with_name("grade.js")
STUB_BODY = '  throw new Error("not implemented");\n}\n'
_SIGNATURE = re.compile(r"^function\s+(\w+)\s*\(", re.MULTILINE)
_MAX_COMMAND_CHARS = 120_000
"""One shell argument may hold 128 KiB."""


def entry_point(record: MultiPLERecord) -> str:
    found = _SIGNATURE.findall(record.prompt)
    if not found:
        raise TaskDataError(f"{record.name}: its prompt declares no function")
    return str(found[-1])


def commented_prompt(record: MultiPLERecord) -> str:
    """The prompt with every description line a comment (the hub's records are so already; the
    MultiPL-E repository's file has bare lines, which no compiler accepts in a repository file)."""
    return comment_prompt(record.prompt)


def instructions(record: MultiPLERecord, show_tests: bool) -> str:
    where = "The tests are in tests.ts; do not change them." if show_tests else "The tests are hidden."
    return (
        f"Implement the function `{entry_point(record)}` in solution.ts so that it does what its comment "
        f"describes. Keep its name and signature, and keep the file valid TypeScript. {where}"
    )


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode()


def grade_command(record: MultiPLERecord, timeout_s: float) -> str:
    """A shell command that grades solution.ts in the current repository and prints TAP."""
    folder = '"$HOME/.agentbench-multipl-e"'
    command = (
        f"mkdir -p {folder} && printf %s '{_b64(GRADE_SCRIPT.read_text(encoding='utf-8'))}' | base64 -d > "
        f"{folder}/grade.js && printf %s '{_b64(record.tests)}' | base64 -d > {folder}/tests.ts && "
        f"node {folder}/grade.js {shlex.quote(record.name)} {timeout_s:g} {folder}/tests.ts"
    )
    if len(command) > _MAX_COMMAND_CHARS:
        raise TaskDataError(
            f"{record.name}: its tests are too large to grade ({len(record.tests)} characters)"
        )
    return command


class MultipleOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    config: str | None = None
    """The hub config (humaneval-ts, mbpp-ts) when the argument is the hub id."""
    show_tests: bool = False
    timeout_s: float = Field(default=15.0, gt=0)
    solutions: str | None = None
    """Completions file whose first completion of each problem is its gold fix (for validation)."""
    comment_prompts: bool = False
    """Make bare description lines of the prompts comments on load (the repository form)."""


def _materialize(cache_dir: Path, files: Mapping[str, str]) -> Path:
    """A folder holding exactly `files`, under the cache, named by their content (written once)."""
    digest = hashlib.sha256(json.dumps(sorted(files.items())).encode()).hexdigest()[:24]
    final = cache_dir / "multipl-e" / digest
    if final.exists():
        return final
    staging = final.with_name(f".{digest}-{uuid.uuid4().hex[:8]}")
    for rel, content in files.items():
        (staging / rel).parent.mkdir(parents=True, exist_ok=True)
        (staging / rel).write_text(content, encoding="utf-8")
    try:
        staging.rename(final)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another process wrote the same folder first
    return final


class MultipleSource:
    def __init__(self, records: str, options: MultipleOptions, context: SourceContext) -> None:
        self.records_source, self.options, self._context = records, options, context

    def _solutions(self) -> dict[str, str]:
        if self.options.solutions is None:
            return {}
        completions = read_completions(self._context.path(self.options.solutions))
        return {name: bodies[0] for name, bodies in completions.items() if bodies}

    def task(self, record: MultiPLERecord, toolchain: Path, solution: str | None) -> Task:
        repo = {"solution.ts": commented_prompt(record) + STUB_BODY}
        if self.options.show_tests:
            repo["tests.ts"] = record.tests
        gold = {"solution.ts": commented_prompt(record) + solution + "\n"} if solution is not None else None
        suite = f"multipl-e-{record.language}"
        return Task(
            task_id=f"{suite}/{record.name}",
            suite=suite,
            instructions=instructions(record, self.options.show_tests),
            repo_dir=_materialize(self._context.cache_dir, repo),
            gold_dir=_materialize(self._context.cache_dir, gold) if gold else None,
            toolchain_dir=toolchain,
            test_command=grade_command(record, self.options.timeout_s),
            test_timeout_s=2 * self.options.timeout_s + 30,
            fail_to_pass=(record.name,),
            tags=(suite,),
            warm_tsc=True,
        )

    def load(self) -> LoadedTasks:
        path = self._context.path(self.records_source)
        records = load_records(
            path if path.exists() else self.records_source,
            self.options.config,
            comment_prompts=self.options.comment_prompts,
        )
        solutions = self._solutions()
        if unknown := sorted(set(solutions) - {r.name for r in records}):
            raise TaskDataError(f"solutions for problems not in the records: {unknown[:5]}")
        toolchain = ensure_toolchain(TOOLCHAIN, self._context.cache_dir, log=self._context.log)
        return LoadedTasks([self.task(r, toolchain, solutions.get(r.name)) for r in records])


def multiple_source(
    argument: str, options: Mapping[str, JsonValue], context: SourceContext
) -> MultipleSource:
    if not argument:
        raise ConfigError(
            "the multiple source needs records: multiple:FILE.jsonl (or multiple:nuprl/MultiPL-E?config=...)"
        )
    return MultipleSource(
        argument, parse_options(MultipleOptions, options, "task source 'multiple'"), context
    )
