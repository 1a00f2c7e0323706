"""grep's whole-text scan finds exactly the lines that searching each line alone finds: on patterns that
cross line breaks, look around or anchor to the string, match empty, or use ^ and $, on texts with
every line break str.splitlines() knows, with and without a final newline."""

from __future__ import annotations

import os
import time
from pathlib import Path

import hypothesis.strategies as st
import pytest
import regex
from hypothesis import given, settings

from agentbench_ts.tools.files import walk_files
from agentbench_ts.tools.grep import _search_file, _walk_key, looks_past_lines
from agentbench_ts.tools.literal import required_literal
from agentbench_ts.tools.workspace import ToolLimits

PATTERNS = [
    "a",
    "ab",
    "a+b*",
    r"a\s+b",
    r"\s",
    "[^x]+",
    "a$",
    "^b",
    "^$",
    r"b\b",
    r"\Bb",
    "(?s)a.b",
    "a|\n",
    r"a\nb",
    "x*",
    "",
    ".*",
    r"\w+$",
    "(?i)A B",
    r"[\s\S]",
    "a(?!b)",
    "(?<=a)b",
    "(?=b)",
    r"a\Z",
    r"\Aa",
    r"(a)\1",
    "b{2,}",
    "ab+a",
    "(?i)ab a",
    "x a$",
    r"a\r?$",
    "(?<=a)bb",
]
TEXT = st.text(alphabet="ab x\n\r\x0c\u2028\t", max_size=60)


def lines_found(
    pattern: str, text: str, tmp_path: Path, *, scan: bool, literal: str | None = None
) -> list[str]:
    path = tmp_path / "file.ts"
    path.write_bytes(text.encode("utf-8"))
    compiled = regex.compile(pattern, regex.MULTILINE)
    return _search_file(
        compiled,
        str(path),
        "file.ts",
        deadline=time.monotonic() + 10,
        budget=1000,
        limits=ToolLimits(),
        scan=scan,
        literal=literal,
    )


@pytest.mark.parametrize("pattern", PATTERNS)
@settings(max_examples=150, deadline=None)
@given(text=TEXT)
def test_the_scan_finds_the_lines_that_searching_each_line_finds(
    pattern: str, text: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("scan")
    scanned = lines_found(pattern, text, folder, scan=not looks_past_lines(pattern))
    assert scanned == lines_found(pattern, text, folder, scan=False)
    literal = required_literal(pattern)
    if literal is not None and not literal.ignore_case:
        assert lines_found(pattern, text, folder, scan=False, literal=literal.text) == scanned


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("a$", "xa\r\nya\r\n"),  # $ before \r\n: only a line searched alone ends there
        ("^b", "a\x0cb\n"),  # a form feed ends a line for splitlines, not for ^
        (r"a\s+b", "a\nb\na b\n"),  # a match across the break, and one within a line
        ("x*", "ab\n\nab"),  # empty matches on every line
        ("a", "a\na\na"),  # no final newline
    ],
)
def test_the_tricky_texts_find_what_each_line_alone_finds(pattern: str, text: str, tmp_path: Path) -> None:
    """(A whole-text pre-check once found nothing for `a$` in a CRLF file.)"""
    scanned = lines_found(pattern, text, tmp_path, scan=True)
    assert scanned == lines_found(pattern, text, tmp_path, scan=False) and scanned


@pytest.mark.parametrize(
    ("pattern", "contextual"),
    [
        *[("a(?=b)", True), ("(?!x)", True), ("(?<=a)b", True), ("(?<!a)b", True), (r"\Aa", True)],
        *[(r"a\Z", True), (r"a\z", True), (r"\Ga", True), ("(?<name>a)", False), ("(?P<n>a)b", False)],
        (r"a\d+", False),
    ],
)
def test_what_sees_past_a_line_is_searched_line_by_line(pattern: str, contextual: bool) -> None:
    assert looks_past_lines(pattern) is contextual


def test_lines_that_hold_the_literal_but_do_not_match_do_not_use_up_the_matches(
    tmp_path: Path, ripgrep: str
) -> None:
    from agentbench_ts.protocol.actions import ToolCall
    from agentbench_ts.tools import run_tool
    from agentbench_ts.tools.host import HostWorkspace

    (tmp_path / "a.ts").write_text("needle 1\nneedle 2\nneedle x\n")
    workspace = HostWorkspace(tmp_path, ToolLimits(ripgrep=ripgrep))
    result = run_tool(workspace, ToolCall("grep", {"pattern": r"needle [a-z]", "max_matches": 1}))
    assert result.output == "a.ts:3: needle x\n[truncated: stopped at 1 matches]"


def test_lines_without_the_literal_are_never_searched_and_the_rest_keep_their_numbers(tmp_path: Path) -> None:
    """Line by line (a CRLF text), only the lines holding the literal are searched: a pattern that would
    match any line shows that the others were skipped, and the numbers stay the file's."""
    text = "one\r\nneedle a\r\ntwo\r\nneedle b\r\n"
    assert lines_found("needle|o", text, tmp_path, scan=False, literal="needle") == [
        "file.ts:2: needle a",
        "file.ts:4: needle b",
    ]
    assert lines_found("needle|o", text, tmp_path, scan=False) == [
        "file.ts:1: one",
        "file.ts:2: needle a",
        "file.ts:3: two",
        "file.ts:4: needle b",
    ]


NAMES = st.sampled_from(["a", "b", "ab", "a b", "a.ts", "a-b", "B", "a\x01", "a\x02b", "\x01", "é", "z"])


@settings(max_examples=60, deadline=None)
@given(paths=st.lists(st.lists(NAMES, min_size=1, max_size=3), min_size=1, max_size=12))
def test_files_ripgrep_lists_are_put_in_the_order_the_tree_is_walked(
    paths: list[list[str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("walk")
    for parts in paths:
        target = root.joinpath(*parts)
        if any(parent.is_file() for parent in [target, *target.parents]):
            continue  # a name already taken by a file
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_dir():
            target.write_text("x")
    walked = [str(path.relative_to(root)) for path in walk_files(root, ())]
    assert sorted(reversed(walked), key=_walk_key) == walked


def test_a_fifo_in_the_tree_is_skipped_not_waited_on(tmp_path: Path, ripgrep: str) -> None:
    from agentbench_ts.protocol.actions import ToolCall
    from agentbench_ts.tools import run_tool
    from agentbench_ts.tools.host import HostWorkspace

    (tmp_path / "a.ts").write_text("needle\n")
    os.mkfifo(tmp_path / "b.ts")
    (tmp_path / "c.ts").write_text("needle too\n")
    for limits in (ToolLimits(), ToolLimits(ripgrep=ripgrep)):
        result = run_tool(HostWorkspace(tmp_path, limits), ToolCall("grep", {"pattern": "needle"}))
        assert result.output == "a.ts:1: needle\nc.ts:1: needle too"
