"""The offline HumanEval-TS builder against the official MultiPL-E sample records."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import pytest
from multiple_corpus import CORRECT, HUB_SAMPLE, SAMPLE

from agentbench_ts.errors import TaskDataError
from agentbench_ts.multiple.builder import (
    PromptForm,
    build_humaneval_ts,
    clean_docstring,
    read_humaneval,
    record_line,
    reword,
)
from agentbench_ts.multiple.completion import program_of
from agentbench_ts.multiple.fast import FastEvaluator
from agentbench_ts.multiple.problems import MultiPLERecord, bare_description_lines
from agentbench_ts.multiple.ts_translate import annotation, inferred

from conftest import QUIXBUGS

TOOLCHAIN = QUIXBUGS / "toolchain"


@pytest.mark.parametrize(("form", "sample"), [("hub", HUB_SAMPLE), ("repository", SAMPLE)])
def test_the_builder_reproduces_the_sample_records_byte_for_byte(form: PromptForm, sample: Path) -> None:
    """Whole records, serialised as MultiPL-E's files are: the built file compares with `cmp`."""
    built = {r.name: record_line(r) for r in build_humaneval_ts(read_humaneval(), form)[0]}
    lines = sample.read_text().splitlines(keepends=True)
    assert len(lines) == 7
    for line in lines:
        assert built[json.loads(line)["name"]] == line


def test_a_correct_completion_after_each_hub_prompt_compiles_and_passes() -> None:
    records = [
        MultiPLERecord.model_validate(json.loads(line)) for line in HUB_SAMPLE.read_text().splitlines()
    ]
    assert all(not bare_description_lines(r.prompt) for r in records)
    programs = [program_of(r, CORRECT[r.name]) for r in records]
    with FastEvaluator(TOOLCHAIN, {"PATH": os.environ["PATH"]}, 5.0, 120.0) as evaluator:
        assert [v.status for v in evaluator.evaluate(programs)] == ["OK"] * 7


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


def _built(number: int) -> MultiPLERecord:
    problems = [p for p in read_humaneval() if p["task_id"] == f"HumanEval/{number}"]
    return build_humaneval_ts(problems)[0][0]


def test_prose_booleans_become_typescript_ones() -> None:
    assert reword("return True if it is, False otherwise; Trueish stays") == (
        "return true if it is, false otherwise; Trueish stays"
    )
    assert "// >>> below_zero([1, 2, -4, 5])\n// true" in _built(3).prompt
    assert "True" not in _built(3).prompt and "False" not in _built(3).prompt


def test_py_becomes_ts_in_prose_as_multipl_e_does() -> None:
    assert "any tsthon values" in _built(22).prompt  # HumanEval_22: "any python values"
    assert "the string is hapts or not" in _built(80).prompt  # HumanEval_80: "happy"
    assert "is_happy(" in _built(80).prompt  # doctests keep their code


def test_a_description_after_import_lines_is_found() -> None:
    prompt = _built(115).prompt  # `import math` comes before the docstring
    assert prompt.startswith("//You are given a rectangular grid of wells.")
    assert prompt.rstrip().endswith("function max_fill(grid: number[][], capacity: number): number {")


def test_string_arguments_of_prose_examples_keep_their_quotes() -> None:
    prompt = _built(80).prompt  # HumanEval_80: `is_happy(a) => False`
    assert '// >>> is_happy("a")\n// false\n' in prompt and '// >>> is_happy("abcd")\n// true\n' in prompt


def test_repository_form_prompts_warn_once_and_are_commented_on_request(tmp_path: Path) -> None:
    import warnings

    from agentbench_ts.multiple.problems import BarePromptWarning, load_records

    with pytest.warns(BarePromptWarning, match="--comment-prompts") as caught:
        records = load_records(SAMPLE)
    assert len([w for w in caught if issubclass(w.category, BarePromptWarning)]) == 1
    assert bare_description_lines(records[0].prompt)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fixed = load_records(SAMPLE, comment_prompts=True)
        hub = load_records(HUB_SAMPLE)  # the hub's form: nothing to warn about
    assert [r.prompt for r in fixed] == [r.prompt for r in hub]


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
