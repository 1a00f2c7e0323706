"""Completion mode end to end: completions sampled from an OpenAI-compatible server on loopback
(the scripted server standing in for vLLM, with the real openai client), then judged."""

from __future__ import annotations

import json
import os
from pathlib import Path

import openai
import pytest
from multiple_corpus import CORRECT, commented, sample_records

from agentbench_ts.cli.main import main
from agentbench_ts.multiple.completion import evaluate_completions, statuses_of
from agentbench_ts.multiple.fast import FastEvaluator
from agentbench_ts.multiple.files import read_completions
from agentbench_ts.multiple.generate import Sampling, generate
from agentbench_ts.multiple.passk import mean_pass_at_k
from agentbench_ts.testing.scripted_server import ScriptedChatServer

from conftest import QUIXBUGS

RECORDS = [commented(r) for r in sample_records().values()]
BY_PROMPT = {r.prompt: r.name for r in RECORDS}


def continuation(prompt: str, index: int) -> str:
    """Sample 0 is right (followed by more code, which the stop tokens cut); sample 1 is wrong."""
    if index == 0:
        return CORRECT[BY_PROMPT[prompt]] + "\n\nfunction helper() { return 1; }\n"
    return '  throw new Error("wrong");\n}\n// trailing chatter'


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    with ScriptedChatServer(lambda messages: "", completion_policy=continuation) as running:
        yield running


def test_completions_are_sampled_with_the_stop_tokens_and_resumed(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client = openai.OpenAI(base_url=server.base_url, api_key="EMPTY", max_retries=0)
    out = tmp_path / "completions.jsonl"
    assert generate(RECORDS[:3], client, "scripted", out, sampling=Sampling(n=2), concurrency=2) == 3
    with out.open("a") as handle:
        handle.write('{"name": "HumanEval_12_longest", "compl')  # a run killed mid-line
    assert generate(RECORDS, client, "scripted", out, sampling=Sampling(n=2)) == 4
    assert len(server.requests) == 7
    assert server.requests[0]["stop"] == ["\nfunction ", "\n/*", "\n//", "\nclass"]
    completions = read_completions(out)
    assert set(completions) == {r.name for r in RECORDS}
    first = completions["HumanEval_0_has_close_elements"]
    assert first == [CORRECT["HumanEval_0_has_close_elements"] + "\n", '  throw new Error("wrong");\n}']


@pytest.mark.slow
def test_generated_completions_are_judged(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    records = tmp_path / "records.jsonl"
    records.write_text("".join(r.model_dump_json() + "\n" for r in RECORDS))
    out = tmp_path / "completions.jsonl"
    argv = [
        "--records",
        str(records),
        "--base-url",
        server.base_url,
        "--model",
        "scripted",
        "--out",
        str(out),
    ]
    assert main(["multiple", "generate", *argv, "--n", "2"]) == 0
    env = {"PATH": os.environ["PATH"]}
    with FastEvaluator(QUIXBUGS / "toolchain", env, 5, 120) as evaluator:
        results = evaluate_completions(RECORDS, read_completions(out), evaluator.evaluate)
    assert mean_pass_at_k(statuses_of(results), 1) == pytest.approx(0.5)
    assert all(statuses == ["OK", "Exception"] for statuses in statuses_of(results).values())
    assert json.loads(out.read_text().splitlines()[0])["completions"]
