"""Per-test verdicts from TAP output (as printed by `node --test --test-reporter=tap`)."""

from __future__ import annotations

import re

from agentbench_ts.verdicts import TestStatus

_RESULT = re.compile(r"^(?P<indent>\s*)(?P<ok>not ok|ok)\s+\d+\s*(?:-\s*)?(?P<rest>.*)$")
_DIRECTIVE = re.compile(r"\s+#\s*(?P<kind>SKIP|TODO)\b.*$", re.IGNORECASE)


def parse_tap(output: str) -> dict[str, TestStatus]:
    """Test name -> status. Nested subtests are named 'parent > child'."""
    verdicts: dict[str, TestStatus] = {}
    pending_parents: list[tuple[int, str]] = []
    for line in output.splitlines():
        stripped = line.strip()
        if stripped.startswith("# Subtest:"):
            depth = len(line) - len(line.lstrip())
            pending_parents = [(d, n) for d, n in pending_parents if d < depth]
            pending_parents.append((depth, stripped.removeprefix("# Subtest:").strip()))
            continue
        match = _RESULT.match(line)
        if not match:
            continue
        depth = len(match["indent"])
        rest = match["rest"]
        directive = _DIRECTIVE.search(rest)
        name = _DIRECTIVE.sub("", rest).strip()
        parents = [n for d, n in pending_parents if d < depth]
        pending_parents = [(d, n) for d, n in pending_parents if d < depth]
        full_name = " > ".join([*parents, name])
        if directive:
            status = TestStatus.SKIP
        else:
            status = TestStatus.PASS if match["ok"] == "ok" else TestStatus.FAIL
        verdicts[full_name] = status
    return verdicts
