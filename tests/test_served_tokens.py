"""The token-level record of what was served: the client asks for and keeps each step's prompt and
completion token ids and logprobs (as vLLM returns them), and the render check compares them with the
trainer's tokenization of the same row. The server is the scripted one, tokenizing with a tiny tokenizer
(it stands in for vLLM, which needs a GPU)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from tiny_models import build_tokenizer

from agentbench_ts.cli.main import main
from agentbench_ts.models.options import ModelOptions
from agentbench_ts.models.registry import model_factory
from agentbench_ts.runner import ModelConfig, RunConfig, run_tasks
from agentbench_ts.sandbox.registry import SandboxFactory
from agentbench_ts.tasks.task import Task
from agentbench_ts.testing.oracle import oracle_policy
from agentbench_ts.testing.scripted_server import ScriptedChatServer, Tokenize


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tokenizer")
    build_tokenizer(folder)
    return folder


def _ids(encoded: Any) -> list[int]:
    return list(encoded["input_ids"] if isinstance(encoded, Mapping) else encoded)


def vllm_like(tokenizer_dir: Path, *, generation_prompt: bool = True) -> Tokenize:
    """The ids a vLLM server would return: the chat template with its generation prompt, then the
    reply's tokens and the end-of-turn token it stopped at."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)

    def tokenize(messages: list[dict[str, Any]], reply: str) -> tuple[list[int], list[int]]:
        prompt = _ids(
            tokenizer.apply_chat_template(messages, add_generation_prompt=generation_prompt, tokenize=True)
        )
        return prompt, _ids(tokenizer(reply + "<|im_end|>", add_special_tokens=False))

    return tokenize


def _run(
    server: ScriptedChatServer, task: Task, out: Path, make_sandbox: SandboxFactory, record: bool
) -> Any:
    spec = f"openai:{server.base_url}#scripted"
    options = ModelOptions(record_tokens=record, max_retries=0)
    config = RunConfig(out_dir=out, model=ModelConfig(spec=spec, options=options))
    return run_tasks(config, tasks=[task], make_model=model_factory(spec, options), make_sandbox=make_sandbox)


def test_served_token_ids_are_recorded_and_match_the_training_tokenization(
    js_task: Task,
    make_sandbox: SandboxFactory,
    tokenizer_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with ScriptedChatServer(oracle_policy([js_task]), tokenize=vllm_like(tokenizer_dir)) as server:
        [episode] = _run(server, js_task, tmp_path / "run", make_sandbox, record=True).episodes()
        assert all(body["return_token_ids"] and body["logprobs"] for body in server.requests)
    assert episode.outcome == "resolved"
    for step in episode.steps:
        assert step.prompt_token_ids and step.completion_token_ids
        assert step.completion_logprobs == [-0.25] * len(step.completion_token_ids)
    assert main(["render-check", str(tmp_path / "run"), "--tokenizer", str(tokenizer_dir)]) == 0
    assert (
        "0 assistant turns break the render contract (4 steps also checked token by token)"
        in capsys.readouterr().out
    )


def test_served_ids_the_trainer_would_not_produce_are_reported(
    js_task: Task,
    make_sandbox: SandboxFactory,
    tokenizer_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A server that rendered prompts without the generation prompt: the text check cannot see it,
    the token ids do."""
    with ScriptedChatServer(
        oracle_policy([js_task]), tokenize=vllm_like(tokenizer_dir, generation_prompt=False)
    ) as server:
        _run(server, js_task, tmp_path / "run", make_sandbox, record=True)
    assert main(["render-check", str(tmp_path / "run"), "--tokenizer", str(tokenizer_dir)]) == 1
    out = capsys.readouterr().out
    assert "step 0: served token ids differ from the training tokenization" in out
    assert "4 assistant turns break the render contract" in out


def test_token_records_are_off_by_default(
    js_task: Task, make_sandbox: SandboxFactory, tokenizer_dir: Path, tmp_path: Path
) -> None:
    with ScriptedChatServer(oracle_policy([js_task]), tokenize=vllm_like(tokenizer_dir)) as server:
        [episode] = _run(server, js_task, tmp_path / "run", make_sandbox, record=False).episodes()
        assert not any("return_token_ids" in body for body in server.requests)
    assert all(step.prompt_token_ids is None and step.completion_logprobs is None for step in episode.steps)
