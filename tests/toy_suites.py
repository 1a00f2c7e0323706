"""A small suite for the pytest plugin's tests: JavaScript tasks with no compiler, so items are fast."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import ADD_TESTS, BUGGY_ADD, FIXED_ADD, write_tree


def toy_suite(root: Path, counter: Path) -> Path:
    """Two JavaScript tasks (no compiler: fast): `add`, and `flaky`, whose test passes on every other
    run, gold fix or not: run n (counted outside the sandbox by files `counter.1`, `counter.2`, ...,
    each taken with an exclusive create, so runs at the same time count apart) fails when n is even.
    Tags: add is "arith", flaky is "unstable"."""
    write_tree(
        root,
        {"suite.json": json.dumps({"name": "toy", "test_command": "node --test --test-reporter=tap test/"})},
    )
    flaky_test = ADD_TESTS.replace(
        'test("adds small numbers", () => {',
        'const fs = require("node:fs");\n'
        f"const counter = {json.dumps(str(counter))};\n"
        'test("adds small numbers", () => {\n'
        "  let n = 1;\n"
        "  for (;;) {\n"
        "    try { fs.writeFileSync(`${counter}.${n}`, '', { flag: 'wx' }); break; } catch { n += 1; }\n"
        "  }\n"
        '  assert.equal(n % 2, 1, "the even runs fail");',
    )
    for name, tests, tag in (("add", ADD_TESTS, "arith"), ("flaky", flaky_test, "unstable")):
        task = {
            "name": name,
            "instructions": "add(a, b) in src/add.js should return a + b. Fix it.",
            "fail_to_pass": ["adds small numbers"],
            "pass_to_pass": ["adding zero keeps the number"],
            "tags": [tag],
        }
        write_tree(
            root / name,
            {
                "task.json": json.dumps(task),
                "repo/src/add.js": BUGGY_ADD,
                "repo/test/add.test.js": tests,
                "gold/src/add.js": FIXED_ADD,
            },
        )
    return root
