"""Log parsers against the real output of jest, mocha, vitest and node:test, captured here."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agentbench_ts.mswe.logs import (
    Verdicts,
    as_test_result,
    jest_verbose,
    mocha_spec,
    node_spec,
    vitest_verbose,
)

from conftest import REPO_ROOT, strict

RUNNERS = REPO_ROOT / "tests" / "runners" / "node_modules" / ".bin"
BODY = """describe("math", () => {
  it("adds", () => { check(1 + 1, 2); });
  it("subtracts wrongly", () => { check(2 - 1, 2); });
  it.skip("divides later", () => {});
  describe("nested", () => {
    it("multiplies", () => { check(2 * 3, 6); });
    it("fails (twice, as it were)", () => { check(1, 0); });
  });
});
"""
CJS = 'const assert = require("node:assert");\nconst check = (a, b) => assert.strictEqual(a, b);\n'
EXPECTED = Verdicts(
    passed={"math > adds", "math > nested > multiplies"},
    failed={"math > subtracts wrongly", "math > nested > fails (twice, as it were)"},
    skipped={"math > divides later"},
)


@pytest.fixture(scope="module")
def runners() -> Path:
    if not (RUNNERS / "jest").exists():
        message = f"test runners are not installed: npm install --prefix {RUNNERS.parents[1]}"
        if strict():
            pytest.fail(message)
        pytest.skip(message)
    return RUNNERS


def captured(folder: Path, files: dict[str, str], argv: list[str]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_text(content)
    done = subprocess.run(argv, cwd=folder, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0, "the sample has failing tests"
    return done.stdout + done.stderr


def test_jest(runners: Path, tmp_path: Path) -> None:
    log = captured(
        tmp_path,
        {"math.test.js": CJS + BODY, "jest.config.js": "module.exports = {};\n"},
        [str(runners / "jest"), "--verbose", "--ci"],
    )
    assert jest_verbose(log) == EXPECTED


def test_mocha(runners: Path, tmp_path: Path) -> None:
    log = captured(
        tmp_path, {"math.test.js": CJS + BODY}, [str(runners / "mocha"), "--reporter", "spec", "math.test.js"]
    )
    assert mocha_spec(log) == EXPECTED


def test_vitest(runners: Path, tmp_path: Path) -> None:
    esm = 'import { describe, it, expect } from "vitest";\nconst check = (a, b) => expect(a).toBe(b);\n'
    log = captured(
        tmp_path,
        {"math.test.mjs": esm + BODY},
        [str(runners / "vitest"), "run", "--reporter=verbose", "--root", "."],
    )
    # vitest's verbose reporter does not list skipped tests when its output is not a terminal
    assert vitest_verbose(log) == Verdicts(EXPECTED.passed, EXPECTED.failed, set())


def test_node_test(tmp_path: Path) -> None:
    source = 'const { describe, it } = require("node:test");\n' + CJS + BODY
    log = captured(
        tmp_path, {"math.test.js": source}, ["node", "--test", "--test-reporter=spec", "math.test.js"]
    )
    assert node_spec(log) == EXPECTED


def test_the_package_test_result_carries_the_same_sets() -> None:
    result = as_test_result(EXPECTED)
    assert (result.passed_tests, result.failed_tests, result.skipped_tests) == (  # type: ignore[attr-defined]
        EXPECTED.passed,
        EXPECTED.failed,
        EXPECTED.skipped,
    )


def test_terminal_colours_are_ignored() -> None:
    coloured = " \x1b[32m✓\x1b[39m math.test.mjs\x1b[2m > \x1b[22mmath\x1b[2m > \x1b[22madds\n"
    assert vitest_verbose(coloured) == Verdicts(passed={"math > adds"})
