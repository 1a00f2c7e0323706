"""Agent mode: each MultiPL-E problem becomes a repository task of the bundled-suite format, so
`agentbench run --suite DIR` (any model, any sandbox) works on it unchanged.

The repository holds `solution.ts`: the problem's signature under its description (every line
commented out; see `commented_prompt`) and a body that throws. The tests live in the suite's
toolchain, outside the workspace the model's tools can reach, unless `show_tests` also puts them
in the repository. Grading runs in the sandbox (grade.js): solution + newline + tests through a
cold `tsc --target esnext` and `node`, with MultiPL-E's verdicts; resolved iff the verdict is OK.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from agentbench_ts.errors import TaskDataError
from agentbench_ts.multiple.records import MultiPLERecord

GRADER_PACKAGE = "agentbench-multipl-e"
GRADE_SCRIPT = Path(__file__).with_name("grade.js")
STUB_BODY = '  throw new Error("not implemented");\n}\n'
_SIGNATURE = re.compile(r"^function\s+(\w+)\s*\(", re.MULTILINE)


def entry_point(record: MultiPLERecord) -> str:
    found = _SIGNATURE.findall(record.prompt)
    if not found:
        raise TaskDataError(f"{record.name}: its prompt declares no function")
    return str(found[-1])


def commented_prompt(record: MultiPLERecord) -> str:
    """The prompt with every description line a comment. MultiPL-E's TypeScript translator prefixes
    "// " only to description lines that began with whitespace, so most lines of a published prompt
    are bare text that no compiler accepts; a repository file has to compile."""
    *description, signature = record.prompt.rstrip("\n").split("\n")
    lines = [line if line.startswith("//") else "// " + line for line in description]
    return "\n".join([*lines, signature]) + "\n"


def _instructions(record: MultiPLERecord, show_tests: bool) -> str:
    where = "The tests are in tests.ts; do not change them." if show_tests else "The tests are hidden."
    return (
        f"Implement the function `{entry_point(record)}` in solution.ts so that it does what its comment "
        f"describes. Keep its name and signature, and keep the file valid TypeScript. {where}"
    )


def write_agent_suite(
    records: Sequence[MultiPLERecord],
    out_dir: Path,
    toolchain: Path,
    *,
    show_tests: bool = False,
    solutions: Mapping[str, str] | None = None,
    timeout_s: float = 15.0,
) -> Path:
    """Write the suite; `solutions` (name -> function body) become gold fixes, for validation."""
    modules = toolchain / "node_modules"
    if not (modules / "typescript").is_dir():
        raise TaskDataError(f"no TypeScript in {modules}: run npm ci --prefix {toolchain}")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise TaskDataError(f"{out_dir} is not empty")
    grader = out_dir / "toolchain" / "node_modules" / GRADER_PACKAGE
    shutil.copytree(modules, out_dir / "toolchain" / "node_modules", symlinks=True)
    (grader / "tests").mkdir(parents=True)
    shutil.copy(GRADE_SCRIPT, grader / "grade.js")
    suite = {
        "schema_version": 1,
        "name": f"multipl-e-{records[0].language}" if records else "multipl-e",
        "description": "MultiPL-E problems as repository tasks, graded with MultiPL-E's verdicts.",
        "toolchain": "toolchain",
        "test_command": "true",
        "test_timeout_s": 2 * timeout_s + 30,
    }
    (out_dir / "suite.json").write_text(json.dumps(suite, indent=2) + "\n")
    for record in records:
        (grader / "tests" / f"{record.name}.ts").write_text(record.tests, encoding="utf-8")
        task = out_dir / record.name
        (task / "repo").mkdir(parents=True)
        (task / "repo" / "solution.ts").write_text(commented_prompt(record) + STUB_BODY, encoding="utf-8")
        if show_tests:
            (task / "repo" / "tests.ts").write_text(record.tests, encoding="utf-8")
        if solutions and record.name in solutions:
            (task / "gold").mkdir()
            (task / "gold" / "solution.ts").write_text(
                commented_prompt(record) + solutions[record.name] + "\n"
            )
        spec = {
            "schema_version": 1,
            "name": record.name,
            "instructions": _instructions(record, show_tests),
            "test_command": f"node ../node_modules/{GRADER_PACKAGE}/grade.js {record.name} {timeout_s:g}",
            "fail_to_pass": [record.name],
        }
        (task / "task.json").write_text(json.dumps(spec, indent=2) + "\n")
    return out_dir
