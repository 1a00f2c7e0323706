"""Research-code use of Multi-SWE-bench: agent episodes on instances, judged by the official harness,
written as traces plus the official predictions and final_report.json. The same run as
`agentbench run --tasks mswe:instances.jsonl?mirror=org/repo=/path --sandbox docker --model oracle`.

python examples/mswe_episodes.py instances.jsonl traces/mswe-oracle org/repo=/path/to/checkout
(needs the `mswe` and `docker` extras and a Docker daemon; the mirror replaces cloning from GitHub)
"""

from __future__ import annotations

import sys
from pathlib import Path

from agentbench_ts.agent import AgentConfig
from agentbench_ts.mswe.instances import LANGUAGES
from agentbench_ts.runner import ModelConfig, RunConfig, run_tasks
from agentbench_ts.sandbox.config import DockerSandboxConfig
from agentbench_ts.tasks import TaskSourceSpec


def main(instances: Path, out_dir: Path, mirrors: dict[str, Path]) -> None:
    """TypeScript and JavaScript instances; the oracle plays each (swap in `openai:URL#MODEL`)."""
    source = TaskSourceSpec(
        name="mswe",
        argument=str(instances),
        options={
            "languages": list(LANGUAGES),
            "mirror": [f"{repo}={path}" for repo, path in mirrors.items()],
        },
    )
    config = RunConfig(
        out_dir=out_dir,
        tasks=(source,),
        model=ModelConfig(spec="oracle"),
        sandbox=DockerSandboxConfig(),
        agent=AgentConfig(test_policy="never"),  # the fix-run applies hidden tests: no feedback
        graders={"mswe": {"timeout_s": 600, "cpus": 2, "memory_gb": 2}},
    )
    result = run_tasks(config)
    for record in result.episodes():
        print(record.task_id, record.outcome, record.final_tests.summary if record.final_tests else "")
    for task_id, reason in result.skipped.items():
        print("not run:", task_id, reason)
    for path in result.written:
        print(path)


if __name__ == "__main__":
    pairs = (arg.partition("=") for arg in sys.argv[3:])
    main(Path(sys.argv[1]), Path(sys.argv[2]), {name: Path(path) for name, _, path in pairs})
