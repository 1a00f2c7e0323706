"""The offline HumanEval-TS builder against the official MultiPL-E sample records."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from multiple_corpus import SAMPLE

from agentbench_ts.errors import TaskDataError
from agentbench_ts.multiple.builder import build_humaneval_ts, clean_docstring, read_humaneval, reword
from agentbench_ts.multiple.problems import MultiPLERecord
from agentbench_ts.multiple.ts_translate import annotation, inferred


def test_the_builder_reproduces_the_official_sample_records_byte_for_byte() -> None:
    built = {r.name: r for r in build_humaneval_ts(read_humaneval())[0]}
    for line in SAMPLE.read_text().splitlines():
        official = MultiPLERecord.model_validate(json.loads(line))
        assert built[official.name] == official


def test_every_problem_is_built_or_skipped_with_a_reason() -> None:
    problems = read_humaneval()
    records, skipped = build_humaneval_ts(problems)
    assert len(records) + len(skipped) == len(problems) == 164
    assert len(records) >= 118
    assert all(s.reason for s in skipped)
    assert len({r.name for r in records}) == len(records)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("returns a tuple (a, b)", "returns an array (a, b)"),
        ("given list of numbers", "given array of numbers"),
        ("return a dictionary", "return an object"),
        ("Return None if empty", "Return undefined if empty"),
        ("a list of lists", "an array of arrays"),
    ],
)
def test_terms_are_reworded_with_their_articles(text: str, expected: str) -> None:
    assert reword(text) == expected


def test_prose_examples_become_doctests_and_empty_outputs_none() -> None:
    docstring = "\n    Sum them.\n\n    Example:\n    f([1, 2]) == 3\n    >>> f([])\n\n    "
    assert clean_docstring(docstring, "f") == "Sum them.\nExample:\n>>> f([1, 2])\n3\n>>> f([])\nNone\n"


@pytest.mark.parametrize(
    ("source", "typescript"),
    [
        ("List[int]", "number[]"),
        ("Optional[str]", "string | undefined"),
        ("Tuple[int, float]", "[number, number]"),
        ("Dict[str, int]", "{[key: string]: number}"),
        ("list[bool]", "boolean[]"),
    ],
)
def test_annotations(source: str, typescript: str) -> None:
    assert annotation(ast.parse(source, mode="eval").body) == typescript


def test_types_inferred_from_test_values() -> None:
    assert inferred([(None, 1), (-2, None)]) == "[number | undefined, number | undefined]"
    assert inferred([{"a": 1}, {}]) == "{[key: string]: number}"
    with pytest.raises(TaskDataError, match="mix types"):
        inferred([1, "a"])


def test_cli_builds_a_records_file_the_loader_reads(tmp_path: Path) -> None:
    from agentbench_ts.cli.main import main
    from agentbench_ts.multiple.problems import load_records

    out = tmp_path / "humaneval-ts.jsonl"
    assert main(["multiple", "build", "--out", str(out)]) == 0
    assert len(load_records(out)) >= 118
