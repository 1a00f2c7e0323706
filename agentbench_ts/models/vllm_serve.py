"""Launching `vllm serve` for a base model with LoRA adapters, waiting for it, stopping it.

The harness only ever talks to vLLM over its OpenAI-compatible API; this module builds the exact
command line, starts it in its own process group, polls /v1/models until the model is listed, and
loads adapters at runtime through /v1/load_lora_adapter when the server allows it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from agentbench_ts.errors import ModelError

RUNTIME_LORA_ENV = {"VLLM_ALLOW_RUNTIME_LORA_UPDATING": "True"}


@dataclass(frozen=True)
class ServeConfig:
    base_model: str
    adapters: dict[str, str] = field(default_factory=dict)
    """LoRA adapter name -> path; each is served under its name."""
    served_model_name: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    max_lora_rank: int = 64
    max_loras: int | None = None
    max_model_len: int | None = None
    gpu_memory_utilization: float = 0.9
    runtime_lora: bool = False
    """Allow /v1/load_lora_adapter (sets VLLM_ALLOW_RUNTIME_LORA_UPDATING for the server)."""
    extra_args: tuple[str, ...] = ()
    executable: str = "vllm"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    @property
    def model_name(self) -> str:
        return self.served_model_name or self.base_model


def vllm_command(config: ServeConfig) -> list[str]:
    command = [
        config.executable,
        "serve",
        config.base_model,
        "--host",
        config.host,
        "--port",
        str(config.port),
    ]
    if config.served_model_name:
        command += ["--served-model-name", config.served_model_name]
    if config.adapters or config.runtime_lora:
        command += ["--enable-lora", "--max-lora-rank", str(config.max_lora_rank)]
        if config.adapters:
            command += ["--lora-modules", *(f"{name}={path}" for name, path in config.adapters.items())]
        if config.max_loras is not None:
            command += ["--max-loras", str(config.max_loras)]
    if config.max_model_len is not None:
        command += ["--max-model-len", str(config.max_model_len)]
    command += ["--gpu-memory-utilization", str(config.gpu_memory_utilization)]
    return command + list(config.extra_args)


def served_models(base_url: str, timeout_s: float = 5.0) -> list[str]:
    with urllib.request.urlopen(f"{base_url}/models", timeout=timeout_s) as response:
        return [entry["id"] for entry in json.load(response)["data"]]


def load_lora_adapter(base_url: str, name: str, path: str, timeout_s: float = 120.0) -> None:
    """Ask a running server to load an adapter (it must run with runtime LoRA updating allowed)."""
    body = json.dumps({"lora_name": name, "lora_path": path}).encode()
    request = urllib.request.Request(
        f"{base_url}/load_lora_adapter", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s):
            return
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:500]
        raise ModelError(f"loading adapter {name} from {path} failed ({exc.code}): {detail}") from exc
    except OSError as exc:
        raise ModelError(f"loading adapter {name}: cannot reach {base_url}: {exc}") from exc


class VLLMServer:
    """`with VLLMServer(config, log_path) as server:` serves until the block ends."""

    def __init__(self, config: ServeConfig, log_path: Path, *, environment: dict[str, str]) -> None:
        self.config = config
        self.log_path = log_path
        self._environment = environment
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, ready_timeout_s: float = 900.0) -> VLLMServer:
        if self._process is not None:
            raise ModelError("this server was already started")
        if shutil.which(self.config.executable, path=self._environment.get("PATH")) is None:
            raise ModelError(
                f"{self.config.executable!r} is not installed: pip install 'agentbench-ts[serve]' "
                "(vLLM needs a CUDA GPU)"
            )
        env = {**self._environment, **(RUNTIME_LORA_ENV if self.config.runtime_lora else {})}
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                vllm_command(self.config),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        try:
            self._wait_ready(ready_timeout_s)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout_s: float) -> None:
        assert self._process is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ModelError(f"vllm exited with {self._process.returncode}:\n{self._log_tail()}")
            try:
                if self.config.model_name in served_models(self.config.base_url, timeout_s=2):
                    return
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.5)
        raise ModelError(
            f"vllm did not list {self.config.model_name} within {timeout_s:.0f}s:\n{self._log_tail()}"
        )

    def _log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""

    def stop(self, grace_s: float = 30.0) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        os.killpg(self._process.pid, signal.SIGTERM)
        try:
            self._process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()

    def __enter__(self) -> VLLMServer:
        return self if self._process is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
