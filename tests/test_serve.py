"""`agentbench serve`: the exact vllm command, and the launch / wait / load / stop cycle.

vLLM cannot run here (no GPU), so the launch tests use FakeVllm (tests/fake_vllm.py), which serves
the same OpenAI-compatible endpoints; everything around it is the real code path.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

from agentbench_ts.cli.main import main
from agentbench_ts.errors import ModelError
from agentbench_ts.models.openai_chat import OpenAIChatModel
from agentbench_ts.models.vllm_serve import (
    ServeConfig,
    VLLMServer,
    load_lora_adapter,
    served_models,
    vllm_command,
)

FAKE = Path(__file__).with_name("fake_vllm.py")


def test_dry_run_prints_the_exact_vllm_command(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "serve",
        "Qwen/Qwen2.5-Coder-7B-Instruct",
        "--lora",
        "r1=/ckpt/round1",
        "--lora",
        "r2=/ckpt/round 2",
    ]
    argv += [
        "--max-lora-rank",
        "32",
        "--max-model-len",
        "16384",
        "--gpu-memory-utilization",
        "0.85",
        "--port",
        "8100",
    ]
    assert main([*argv, "--dry-run"]) == 0
    assert capsys.readouterr().out.strip() == (
        "vllm serve Qwen/Qwen2.5-Coder-7B-Instruct --host 127.0.0.1 --port 8100 --enable-lora "
        "--max-lora-rank 32 --lora-modules r1=/ckpt/round1 'r2=/ckpt/round 2' --max-model-len 16384 "
        "--gpu-memory-utilization 0.85"
    )


def test_without_adapters_lora_is_not_enabled() -> None:
    command = vllm_command(ServeConfig(base_model="m", served_model_name="base"))
    assert "--enable-lora" not in command
    assert (
        command[:3] == ["vllm", "serve", "m"] and command[command.index("--served-model-name") + 1] == "base"
    )


def test_runtime_lora_enables_lora_without_startup_adapters() -> None:
    command = vllm_command(ServeConfig(base_model="m", runtime_lora=True, max_loras=4))
    assert command[command.index("--enable-lora") : command.index("--enable-lora") + 5] == [
        "--enable-lora",
        "--max-lora-rank",
        "64",
        "--max-loras",
        "4",
    ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def fake_vllm(tmp_path: Path) -> dict[str, str]:
    """A PATH on which `vllm` is FakeVllm."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "vllm").write_text(f'#!/bin/sh\nexec {sys.executable} {FAKE} "$@"\n')
    (bin_dir / "vllm").chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}


def test_launch_waits_for_the_model_then_serves_and_loads_adapters(
    tmp_path: Path, fake_vllm: dict[str, str]
) -> None:
    config = ServeConfig(
        base_model="tiny-base", adapters={"round1": "/ckpt/r1"}, port=_free_port(), runtime_lora=True
    )
    with VLLMServer(config, tmp_path / "vllm.log", environment=fake_vllm).start(ready_timeout_s=30) as server:
        assert sorted(served_models(config.base_url)) == ["round1", "tiny-base"]
        reply = OpenAIChatModel(config.base_url, "round1").complete([{"role": "user", "content": "hi"}])
        assert '"status":"give_up"' in reply.text
        load_lora_adapter(config.base_url, "round2", "/ckpt/r2")
        assert "round2" in served_models(config.base_url)
        process = server._process
    assert process is not None and process.poll() is not None
    with pytest.raises(OSError):
        served_models(config.base_url, timeout_s=1)


def test_a_server_that_dies_at_start_reports_its_log(tmp_path: Path, fake_vllm: dict[str, str]) -> None:
    config = ServeConfig(base_model="crash", port=_free_port())
    with pytest.raises(ModelError, match="cannot load model 'crash'"):
        VLLMServer(config, tmp_path / "vllm.log", environment=fake_vllm).start(ready_timeout_s=30)


def test_missing_vllm_says_how_to_install_it(tmp_path: Path) -> None:
    config = ServeConfig(base_model="m", executable="vllm-not-installed-here")
    with pytest.raises(ModelError, match=r"pip install 'agentbench-ts\[serve\]'"):
        VLLMServer(config, tmp_path / "vllm.log", environment=dict(os.environ)).start()
