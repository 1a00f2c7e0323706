"""The in-process hf: backend and the render contract, on a tiny random Qwen2 built in the test.

The model's output is garbage by construction: the point is that it runs end to end on CPU and
that whatever it says is classified by the parser, never crashed on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import strict

if not strict():  # where the hf extra is required (CI), a missing torch fails at import instead
    pytest.importorskip("torch", reason="the hf extra is not installed")

from tiny_models import CHAT_TEMPLATE, build_lora_adapter, build_tiny_qwen2

from agentbench_ts.agent import AgentConfig, run_episode
from agentbench_ts.cli.main import main
from agentbench_ts.models.hf_local import SHARED_POOL
from agentbench_ts.models.options import ModelOptions, SamplingParams
from agentbench_ts.models.registry import model_factory
from agentbench_ts.models.render_contract import render_mismatches
from agentbench_ts.runner import RunConfig, run_tasks
from agentbench_ts.sandbox.registry import SandboxFactory
from agentbench_ts.tasks.task import Task

OPTIONS = ModelOptions(sampling=SamplingParams(max_tokens=24))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny")
    base = build_tiny_qwen2(root / "base")
    return {
        "base": base,
        "a1": build_lora_adapter(base, root / "a1", 1),
        "a2": build_lora_adapter(base, root / "a2", 2),
    }


def test_an_episode_runs_end_to_end_and_garbage_is_classified(
    tiny: dict[str, Path], js_task: Task, local_sandboxes
) -> None:  # type: ignore[no-untyped-def]
    model = model_factory(f"hf:{tiny['base']}", OPTIONS)(js_task)
    with local_sandboxes(js_task) as sandbox:
        result = run_episode(
            js_task, model, sandbox, AgentConfig(max_steps=3, max_consecutive_protocol_errors=3)
        )
    assert result.stop_reason in {"protocol_errors", "max_steps"}
    assert len(result.steps) == 3
    for step in result.steps:
        assert step.parsed.error is not None
        assert step.completion.usage.completion_tokens and step.completion.usage.completion_tokens <= 24
    assert result.final_tests is not None and not result.final_tests.resolved


def test_adapters_change_the_output_and_cycle_without_reloading_the_base(tiny: dict[str, Path]) -> None:
    messages = [{"role": "user", "content": "fix the bug"}]
    loads_before = SHARED_POOL.base_loads
    outputs = {}
    for name in ["base", "a1", "a2", "base", "a1"]:
        spec = f"hf:{tiny['base']}" + (f"+{tiny[name]}" if name != "base" else "")
        text = model_factory(spec, OPTIONS)(None).complete(messages).text  # type: ignore[arg-type]
        assert outputs.setdefault(name, text) == text  # the same adapter gives the same (greedy) output
    assert len(set(outputs.values())) == 3
    assert SHARED_POOL.base_loads - loads_before <= 1


def test_recorded_episodes_keep_the_render_contract(
    tiny: dict[str, Path],
    tmp_path: Path,
    js_task: Task,
    make_sandbox: SandboxFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = RunConfig(out_dir=tmp_path / "run")
    store = run_tasks(
        config, tasks=[js_task], make_model=model_factory("oracle"), make_sandbox=make_sandbox
    ).store
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny["base"], local_files_only=True)
    (record,) = store.episodes()
    assert render_mismatches(tokenizer, record.messages) == []
    assert main(["render-check", str(tmp_path / "run"), "--tokenizer", str(tiny["base"])]) == 0
    assert "1 episodes, 0 assistant turns break the render contract" in capsys.readouterr().out


def test_a_template_that_rewrites_replies_breaks_the_contract(tiny: dict[str, Path]) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny["base"], local_files_only=True)
    tokenizer.chat_template = CHAT_TEMPLATE.replace(
        "{{ message['content'] }}<|im_end|>{% endgeneration %}",
        "{{ message['content'] | trim }}<|im_end|>{% endgeneration %}",
    )
    messages = [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "u"},
        {"role": "assistant", "content": '{"type":"final","status":"done"}\n'},
    ]
    (mismatch,) = render_mismatches(tokenizer, messages)
    assert mismatch.message_index == 2
    assert mismatch.served[mismatch.offset :] == "\n"
