"""Research-code use of the Multi-SWE-bench pieces: agent episodes on instances, judged by the
official harness, written as traces plus the official predictions and final_report.json.

python examples/mswe_episodes.py instances.jsonl traces/mswe-oracle org/repo=/path/to/checkout
(needs the `mswe` and `docker` extras and a Docker daemon; the mirror replaces cloning from GitHub)
"""

from __future__ import annotations

import sys
from pathlib import Path

from agentbench_ts.agent import AgentConfig
from agentbench_ts.models import model_factory
from agentbench_ts.mswe.docker_run import BuildOptions
from agentbench_ts.mswe.grader import MsweGrader
from agentbench_ts.mswe.harness import HarnessConfig
from agentbench_ts.mswe.records import LANGUAGES, load_instances
from agentbench_ts.mswe.results import write_results
from agentbench_ts.mswe.tasks import GRADER, instance_tasks
from agentbench_ts.runner import RunConfig, run_tasks
from agentbench_ts.sandbox.config import ImageConfig, SandboxConfig
from agentbench_ts.sandbox.docker_workspace import WorkspaceCopies
from agentbench_ts.sandbox.registry import docker_client, sandbox_factory


def main(instances: Path, out_dir: Path, mirrors: dict[str, Path]) -> None:
    """TypeScript and JavaScript instances; the oracle plays each (swap in `openai:URL#MODEL`)."""
    client = docker_client()
    records = load_instances(instances, LANGUAGES)
    harness = HarnessConfig(BuildOptions(mirrors=mirrors))
    images = ImageConfig()
    tasks = instance_tasks(client, records, harness, WorkspaceCopies(client, images.workspaces))
    config = RunConfig(out_dir=out_dir, suite="mswe", model="oracle", agent=AgentConfig(test_policy="never"))
    store = run_tasks(
        config,
        tasks,
        model_factory("oracle"),
        sandbox_factory(SandboxConfig(kind="docker", images=images)),
        graders={GRADER: MsweGrader(client, records, harness)},
    )
    for record in store.episodes():
        print(record.task_id, record.outcome, record.final_tests.summary if record.final_tests else "")
    for path in write_results(store.episodes(), records, out_dir):
        print(path)


if __name__ == "__main__":
    pairs = (arg.partition("=") for arg in sys.argv[3:])
    main(Path(sys.argv[1]), Path(sys.argv[2]), {name: Path(path) for name, _, path in pairs})
