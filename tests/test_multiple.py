"""MultiPL-E: records, stop tokens, pass@k, results files, and the fast evaluator against the
per-program `tsc` + `node` reference."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from multiple_corpus import CORRECT, SAMPLE, commented, corpus, sample_records

from agentbench_ts.errors import TaskDataError
from agentbench_ts.multiple.checker import CheckerError, TsChecker
from agentbench_ts.multiple.completion import (
    cut_at_stop_tokens,
    evaluate_completions,
    program_of,
    statuses_of,
    write_results,
)
from agentbench_ts.multiple.fast import FastEvaluator
from agentbench_ts.multiple.passk import mean_pass_at_k, pass_at_k
from agentbench_ts.multiple.problems import load_records
from agentbench_ts.multiple.reference import evaluate_reference

from conftest import QUIXBUGS

TOOLCHAIN = QUIXBUGS / "toolchain"
ENV = {"PATH": os.environ["PATH"]}
RUN_TIMEOUT_S = 3.0
COMPILE_TIMEOUT_S = 120.0  # a cold tsc takes seconds on a small machine; the reference must not time out


def test_the_sample_records_load_through_datasets() -> None:
    records = load_records(SAMPLE)
    assert [r.name for r in records][:3] == [
        "HumanEval_0_has_close_elements",
        "HumanEval_100_make_a_pile",
        "HumanEval_11_string_xor",
    ]
    assert len(records) == 7 and all(r.language == "ts" for r in records)
    assert records[0].stop_tokens == ["\nfunction ", "\n/*", "\n//", "\nclass"]


def test_parquet_loads_the_same_records(tmp_path: Path) -> None:
    from datasets import Dataset

    rows = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
    Dataset.from_list(rows).to_parquet(str(tmp_path / "sample.parquet"))
    assert load_records(tmp_path / "sample.parquet") == load_records(SAMPLE)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda row: row.pop("tests"), r"row 2 \(HumanEval_100_make_a_pile\) is not a MultiPL-E record"),
        (lambda row: row.update(stop_tokens="\n}"), "row 2"),
        (lambda row: row.update(language="py"), "is 'py', not 'ts'"),
        (lambda row: row.update(name="HumanEval_0_has_close_elements"), "name twice"),
    ],
)
def test_malformed_records_are_refused_by_row(tmp_path: Path, edit: object, message: str) -> None:
    rows = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
    edit(rows[1])  # type: ignore[operator]
    broken = tmp_path / "broken.jsonl"
    broken.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with pytest.raises(TaskDataError, match=message):
        load_records(broken)


def test_missing_files_and_hub_ids_without_a_config_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(TaskDataError, match="no such file"):
        load_records(tmp_path / "missing.jsonl")
    with pytest.raises(TaskDataError, match="needs a config"):
        load_records("nuprl/MultiPL-E")


@pytest.mark.parametrize(
    ("completion", "cut"),
    [
        ("  return 1;\n}\nfunction helper() {}", "  return 1;\n}"),
        ("  return 1;\n}\n// tests\n/* more */", "  return 1;\n}"),
        ("  return 1;\n}\n/* a */\n// b", "  return 1;\n}"),
        ("  return 1;\n}", "  return 1;\n}"),
        ("  // a comment inside is kept\n  return 1;\n}", "  // a comment inside is kept\n  return 1;\n}"),
    ],
)
def test_completions_are_cut_at_the_first_stop_token(completion: str, cut: str) -> None:
    assert cut_at_stop_tokens(completion, ["\nfunction ", "\n/*", "\n//", "\nclass"]) == cut


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (5, 2, 1, 2 / 5),
        (5, 2, 2, 1 - 3 / 10),  # 1 - C(3,2)/C(5,2)
        (10, 3, 5, 1 - 21 / 252),  # 1 - C(7,5)/C(10,5)
        (10, 0, 1, 0.0),
        (3, 3, 1, 1.0),
        (4, 3, 2, 1.0),  # fewer than k wrong samples: a success is certain
    ],
)
def test_pass_at_k_matches_hand_computed_values(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(expected)


def test_mean_pass_at_k_skips_problems_with_fewer_than_k_samples() -> None:
    statuses = {"a": ["OK", "SyntaxError"], "b": ["Exception", "Exception"], "c": ["OK"]}
    assert mean_pass_at_k(statuses, 1) == pytest.approx((0.5 + 0 + 1) / 3)
    assert mean_pass_at_k(statuses, 2) == pytest.approx((1 + 0) / 2)
    assert mean_pass_at_k(statuses, 5) is None
    with pytest.raises(ValueError):
        pass_at_k(2, 3, 1)


def test_a_missing_compiler_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CheckerError, match="npm ci"):
        TsChecker(tmp_path, ENV)


@pytest.mark.slow
def test_fast_verdicts_equal_the_reference_on_every_program() -> None:
    programs = corpus()
    with FastEvaluator(TOOLCHAIN, ENV, RUN_TIMEOUT_S, COMPILE_TIMEOUT_S) as evaluator:
        fast = [v.status for v in evaluator.evaluate([program for _, program, _ in programs])]
    with ThreadPoolExecutor(2) as pool:
        reference = list(
            pool.map(
                lambda p: evaluate_reference(p[1], TOOLCHAIN, ENV, RUN_TIMEOUT_S, COMPILE_TIMEOUT_S).status,
                programs,
            )
        )
    expected = [status for _, _, status in programs]
    labels = [label for label, _, _ in programs]
    assert list(zip(labels, reference, strict=True)) == list(zip(labels, expected, strict=True))
    assert list(zip(labels, fast, strict=True)) == list(zip(labels, reference, strict=True))


@pytest.mark.slow
def test_completion_mode_writes_multipl_e_results(tmp_path: Path) -> None:
    records = [commented(r) for r in sample_records().values()]
    completions = {
        r.name: [CORRECT[r.name] + "\nfunction extra() {}", "  return undefined as any;\n}"] for r in records
    }
    with FastEvaluator(TOOLCHAIN, ENV, RUN_TIMEOUT_S, COMPILE_TIMEOUT_S) as evaluator:
        results = evaluate_completions(records, completions, evaluator.evaluate)
    files = write_results(results, tmp_path)
    assert len(files) == 7
    stored = json.loads((tmp_path / "HumanEval_13_greatest_common_divisor.results.json").read_text())
    assert set(stored) == {"name", "language", "prompt", "tests", "stop_tokens", "results"}
    first = stored["results"][0]  # the fields of MultiPL-E's entries, in its order:
    assert list(first) == [
        "program",
        "stdout",
        "stderr",
        "exit_code",
        "status",
        "timestamp",
    ]  # MultiPL-E's order
    assert first["status"] == "OK" and "function extra" not in first["program"]
    assert first["program"] == program_of(records[4], CORRECT["HumanEval_13_greatest_common_divisor"])
    assert mean_pass_at_k(statuses_of(results), 1) == pytest.approx(0.5)
    assert mean_pass_at_k(statuses_of(results), 2) == pytest.approx(1.0)


@pytest.mark.slow
def test_cli_evaluates_completions_and_reports_pass_at_k(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from agentbench_ts.cli.main import main

    records = [commented(r) for r in sample_records().values()][:2]
    (tmp_path / "records.jsonl").write_text("".join(r.model_dump_json() + "\n" for r in records))
    completions = tmp_path / "completions.jsonl"
    completions.write_text(
        "".join(
            json.dumps({"name": r.name, "completions": [CORRECT[r.name], "  throw 1;\n}", "  return (;\n}"]})
            + "\n"
            for r in records
        )
    )
    out = tmp_path / "results"
    argv = [
        "--records",
        str(tmp_path / "records.jsonl"),
        "--completions",
        str(completions),
        "--out",
        str(out),
    ]
    local = ["--toolchain", str(TOOLCHAIN), "--timeout", "60", "--sandbox", "local"]
    assert main(["multiple", "evaluate", *argv, *local]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{r.name}.results.json" for r in records)
    assert "1,0.3333,2,3,3" in capsys.readouterr().out
    assert main(["multiple", "pass-k", str(out), "--k", "1,2"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == ["1,0.3333,2,3,3", "2,0.6667,2,3,3"]
    unknown = tmp_path / "unknown.jsonl"
    unknown.write_text(json.dumps({"name": "HumanEval_999_nothing", "completions": ["x"]}) + "\n")
    assert main(["multiple", "evaluate", *argv[:2], "--completions", str(unknown), "--out", str(out)]) == 2


MBPP_SAMPLE = SAMPLE.with_name("mbpp-ts-sample.jsonl")
MBPP_CORRECT = {
    "mbpp_901_sum_of_squares": "  return nums.reduce((sum, x) => sum + x * x, 0);\n}",
    "mbpp_902_reverse_words": '  return text.split(" ").reverse().join(" ");\n}',
    "mbpp_903_pair_sums": "  return values.slice(1).map((x, i) => x + values[i]);\n}",
}


def test_mbpp_ts_records_load_and_are_judged(tmp_path: Path) -> None:
    import warnings

    from agentbench_ts.multiple.evaluation import CompletionEvaluation, evaluate_completion_files

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the hub's form: every description line a comment
        records = load_records(MBPP_SAMPLE)
    assert [r.name for r in records] == list(MBPP_CORRECT)
    completions = tmp_path / "completions.jsonl"
    completions.write_text(
        "".join(
            json.dumps({"name": name, "completions": [body, "  return undefined as any;\n}"]}) + "\n"
            for name, body in MBPP_CORRECT.items()
        )
    )
    job = CompletionEvaluation(
        str(MBPP_SAMPLE), completions, tmp_path / "out", TOOLCHAIN, ENV, timeout_s=60, sandbox="local"
    )
    result = evaluate_completion_files(job)
    assert result.statuses == {name: ["OK", "AssertionError"] for name in MBPP_CORRECT}
    assert (tmp_path / "out" / "mbpp_902_reverse_words.results.json").is_file()
