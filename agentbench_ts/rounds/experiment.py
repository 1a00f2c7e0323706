"""An experiment directory: where each round's outputs live, and how each round's model is served.

EXP/experiment.toml
EXP/rounds/r0/eval/{train-pool,held-out}/   the base's runs (trace stores)
EXP/rounds/r0/teachers/t<i>/                 teacher models' runs on the training pool
EXP/rounds/rN/dataset/                       extraction from the traces of rounds < N (+ teachers)
EXP/rounds/rN/adapter/                       the round's adapter (agentbench_adapter.json inside)
EXP/rounds/rN/eval/{train-pool,held-out}/    the round's model on both pools
EXP/rounds/rN/manifests/<stage>.json         what each stage read and wrote
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from agentbench_ts.errors import ConfigError
from agentbench_ts.models.vllm_serve import ServeConfig, VLLMServer, load_lora_adapter
from agentbench_ts.rounds.config import ExperimentConfig, load_experiment
from agentbench_ts.tasks.sources import SourceContext

POOLS = ("train-pool", "held-out")


@dataclass
class Experiment:
    root: Path
    config: ExperimentConfig
    environment: dict[str, str]
    """For servers the serve stage starts (PATH at least)."""
    log: Callable[[str], None] = lambda _: None
    _servers: dict[int, VLLMServer] = field(default_factory=dict)

    @classmethod
    def open(
        cls, root: Path, environment: dict[str, str], log: Callable[[str], None] = lambda _: None
    ) -> Experiment:
        return cls(root.resolve(), load_experiment(root), environment, log)

    def round_dir(self, round_index: int) -> Path:
        return self.root / "rounds" / f"r{round_index}"

    def eval_dir(self, round_index: int, pool: str) -> Path:
        return self.round_dir(round_index) / "eval" / pool

    def teacher_dir(self, index: int) -> Path:
        return self.round_dir(0) / "teachers" / f"t{index}"

    def dataset_dir(self, round_index: int) -> Path:
        return self.round_dir(round_index) / "dataset"

    def adapter_dir(self, round_index: int) -> Path | None:
        return self.round_dir(round_index) / "adapter" if round_index > 0 else None

    def learned_runs(self, round_index: int) -> list[Path]:
        """The traces round `round_index` learns from: every earlier round's training-pool runs, the
        teachers' runs, and the configured extra runs."""
        runs = [self.eval_dir(r, "train-pool") for r in range(round_index)]
        runs += [self.teacher_dir(i) for i in range(len(self.config.teachers.models))]
        return runs + list(self.config.teachers.runs)

    def source_context(self) -> SourceContext:
        return SourceContext(self.root, self.root / ".cache", self.config.run.sandbox, self.log)

    def model_spec(self, round_index: int) -> str:
        """The model spec that reaches round `round_index`'s model as it is served."""
        serve, adapter = self.config.serve, self.adapter_dir(round_index)
        if serve.kind == "hf":
            return f"hf:{self.config.base}" + (f"+{adapter}" if adapter else "")
        name = f"round{round_index}" if adapter else (serve.base_name or str(self.config.base))
        url = serve.url if serve.kind == "openai" else f"http://{serve.host}:{serve.port}/v1"
        return f"openai:{url}#{name}"

    def serve(self, round_index: int) -> str:
        """Make the round's model reachable (start vLLM, or load the adapter into the running server)
        and give its model spec."""
        serve, adapter = self.config.serve, self.adapter_dir(round_index)
        if serve.kind == "openai":
            if serve.url is None:
                raise ConfigError("serve.kind = 'openai' needs serve.url")
            if adapter is not None:
                load_lora_adapter(serve.url, f"round{round_index}", str(adapter))
        elif serve.kind == "vllm" and round_index not in self._servers:
            self.stop_servers()
            config = ServeConfig(
                base_model=str(self.config.base),
                adapters={f"round{round_index}": str(adapter)} if adapter else {},
                served_model_name=serve.base_name,
                host=serve.host,
                port=serve.port,
                max_lora_rank=serve.max_lora_rank,
                extra_args=serve.extra_args,
                executable=serve.executable,
            )
            log = self.round_dir(round_index) / "vllm.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            self.log(
                f"round {round_index}: starting {serve.executable} serve for {self.model_spec(round_index)}"
            )
            server = VLLMServer(config, log, environment=self.environment)
            self._servers[round_index] = server.start(serve.ready_timeout_s)
        return self.model_spec(round_index)

    def stop_servers(self) -> None:
        for server in self._servers.values():
            server.stop()
        self._servers.clear()

    @contextlib.contextmanager
    def session(self) -> Iterator[Experiment]:
        try:
            yield self
        finally:
            self.stop_servers()
