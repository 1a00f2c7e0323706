"""A small TypeScript project and a corpus of edits for the warm `tsc` tests: each edit is what an
agent might write after a build, and its verdict must be a fresh checkout's compiled cold."""

from __future__ import annotations

from agentbench_ts.plumbing.process import CommandResult
from agentbench_ts.sandbox.base import Sandbox
from agentbench_ts.tasks.tap import parse_tap

from conftest import QUIXBUGS

TEST_COMMAND = "tsc -p . && node --test --test-reporter=tap dist/test/"
TSCONFIG = (QUIXBUGS / "gcd" / "repo" / "tsconfig.json").read_text()


def verdict(result: CommandResult) -> tuple[object, ...]:
    """What a grader reads of a test run: the exit status, each test's status, a timeout."""
    return result.exit_code, parse_tap(result.output), result.timed_out


def write(box: Sandbox, files: dict[str, str | None]) -> None:
    """Write (or, for None, delete) files as an agent's tools would."""
    for rel, text in files.items():
        if text is None:
            assert box.exec(f"rm {rel}", 10).ok
        else:
            box.workspace.write_file(rel, text)


BASE = {
    "tsconfig.json": TSCONFIG,
    "package.json": '{"name": "corpus", "private": true}\n',
    "src/math.ts": "export function add(a: number, b: number): number {\n  return a + b;\n}\n",
    "src/helper.ts": "export function twice(x: number): number {\n  return 2 * x;\n}\n",
    "src/legacy.ts": "export const answer = 42;\n",
    "test/math.test.ts": (
        'import { test } from "node:test";\nimport assert from "node:assert/strict";\n'
        'import { add } from "../src/math";\nimport { twice } from "../src/helper";\n\n'
        'test("adds", () => {\n  assert.equal(add(2, 3), 5);\n});\n\n'
        'test("doubles", () => {\n  assert.equal(twice(4), 8);\n});\n'
    ),
    "test/legacy.test.ts": (
        'import { test } from "node:test";\nimport assert from "node:assert/strict";\n\n'
        'test("loads the legacy module at run time", () => {\n'
        '  const legacy = require("../src/legacy");\n  assert.equal(legacy.answer, 42);\n});\n'
    ),
}
NEW_TEST = (
    'import { test } from "node:test";\nimport assert from "node:assert/strict";\n'
    'import { neg } from "../src/extra";\n\ntest("negates", () => {\n  assert.equal(neg(3), -3);\n});\n'
)
OUTSIDE_TEST = (
    'import { test } from "node:test";\nimport assert from "node:assert/strict";\n'
    'import { one } from "../lib/util";\n\ntest("one is one", () => {\n  assert.equal(one(), 1);\n});\n'
)
EDITS: dict[str, dict[str, str | None]] = {
    "a type error": {"src/math.ts": BASE["src/math.ts"] + 'const wrong: number = "x";\n'},
    "a deleted source a test loads at run time": {"src/legacy.ts": None},
    "a renamed export": {"src/helper.ts": BASE["src/helper.ts"].replace("twice", "double")},
    "a new file imported by a new test": {
        "src/extra.ts": "export const neg = (x: number): number => -x;\n",
        "test/extra.test.ts": NEW_TEST,
    },
    "a syntax error": {"src/math.ts": "export function add(a: number, b: number {\n  return a + b;\n}\n"},
    "an edited test": {
        "test/math.test.ts": BASE["test/math.test.ts"].replace("add(2, 3), 5", "add(2, 3), 6")
    },
    "a file outside src": {
        "lib/util.ts": "export const one = (): number => 1;\n",
        "test/util.test.ts": OUTSIDE_TEST,
    },
    "a fix after a break": {"src/math.ts": BASE["src/math.ts"].replace("a + b", "b + a")},
    "an infinite loop": {
        "src/math.ts": "export function add(a: number, b: number): number {\n  for (;;) {}\n}\n"
    },
}
