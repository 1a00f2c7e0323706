"""MultiPL-E completion programs inside one `--network none` evaluation container: the fast path and
the reference path there agree with each other and with MultiPL-E's verdicts on the corpus, field for
field, and a completion that tries to escape (network, files outside its folder, a fork bomb, 2 GB of
output) is contained while the evaluation goes on."""

from __future__ import annotations

import re
import socket
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from multiple_corpus import GOOD, commented, corpus, sample_records

from agentbench_ts.multiple.completion import program_of
from agentbench_ts.multiple.evaluation import EVALUATION_NODE
from agentbench_ts.multiple.fast import FastEvaluator
from agentbench_ts.multiple.programs import ContainerPrograms, ProgramLimits
from agentbench_ts.multiple.verdict import Verdict
from agentbench_ts.sandbox.docker.standins import ensure_stand_in

from conftest import QUIXBUGS

pytestmark = [pytest.mark.docker, pytest.mark.slow]
TOOLCHAIN = QUIXBUGS / "toolchain"
CAP = 1 << 20


@pytest.fixture(scope="module")
def programs(docker_client: Any, task_images: Any) -> Iterator[ContainerPrograms]:
    image = ensure_stand_in(
        docker_client, EVALUATION_NODE, task_images.base(), Path(tempfile.gettempdir()) / "agentbench-cache"
    )
    limits = ProgramLimits(timeout_s=3.0, compile_timeout_s=120.0, cpus=2, pids=256, max_output_bytes=CAP)
    running = ContainerPrograms(docker_client, image, TOOLCHAIN, limits)
    yield running
    running.close()


UNSTEADY = ("20 MB on stdout", "noise on stderr")
"""Programs that exit while megabytes of output are still queued in node: how much reaches the pipe
differs from run to run (in MultiPL-E's own runs too), so only their status and exit code compare."""


def _comparable(label: str, verdict: Verdict) -> tuple[str, int, str, str]:
    """The verdict with the program's folder left out of tracebacks (a temporary name either way)."""
    if label in UNSTEADY:
        return verdict.status, verdict.exit_code, "", ""
    stderr = re.sub(r"/tmp/agentbench-programs/\d+/", "/P/", verdict.stderr)
    return verdict.status, verdict.exit_code, verdict.stdout, stderr


def test_fast_and_reference_agree_field_for_field_in_the_container(programs: ContainerPrograms) -> None:
    cases = corpus()
    sources = [program for _, program, _ in cases]
    with FastEvaluator(TOOLCHAIN, {}, concurrency=2, programs=_Borrowed(programs)) as fast:
        quick = fast.evaluate(sources)
    with ThreadPoolExecutor(2) as pool:
        reference = list(pool.map(programs.reference, sources))
    labels = [label for label, _, _ in cases]
    expected = [status for _, _, status in cases]
    assert list(zip(labels, [v.status for v in reference], strict=True)) == list(
        zip(labels, expected, strict=True)
    )
    assert [(label, _comparable(label, v)) for label, v in zip(labels, quick, strict=True)] == [
        (label, _comparable(label, v)) for label, v in zip(labels, reference, strict=True)
    ]
    type_error = reference[labels.index("type error")]
    assert type_error.exit_code == 2 and type_error.stdout.endswith("\n")  # what tsc prints and exits with


class _Borrowed:
    """The module's container, lent to one evaluator without being closed by it."""

    def __init__(self, programs: ContainerPrograms) -> None:
        self.check, self.run, self.reference = programs.check, programs.run, programs.reference

    def close(self) -> None:
        pass


def _program(top_level: str) -> str:
    """A correct completion followed by `top_level` code, which runs before the tests."""
    first = commented(sample_records()["HumanEval_0_has_close_elements"])
    return program_of(first, GOOD + "\n" + top_level)


def test_escapes_are_contained_and_the_evaluation_goes_on(
    programs: ContainerPrograms, tmp_path: Path
) -> None:
    with socket.socket() as listener:  # a server on this host's loopback: the program must not reach it
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        network = f"""
  const os = require("os");
  console.log("interfaces " + Object.keys(os.networkInterfaces()).join(","));
  const s = require("net").connect({port}, "127.0.0.1");
  s.on("connect", () => {{ console.log("REACHED THE HOST"); }});
  s.on("error", (e: any) => {{ console.log("refused " + e.code); }});"""
        files = """
  const fs = require("fs");
  for (const target of ["/toolchain/escaped", "/io/escaped", "/tmp/agentbench-programs/escaped",
                        "/escaped", "../escaped"]) {
    try { fs.writeFileSync(target, "x"); console.log("WROTE " + target); }
    catch (e: any) { console.log("denied " + target + " " + e.code); }
  }
  try { console.log("SAW " + fs.readdirSync("/tmp/agentbench-programs").join(",")); }
  catch (e: any) { console.log("cannot list " + e.code); }"""
        fork_bomb = """
  const cp = require("child_process");
  for (let i = 0; i < 100000; i++) {
    const argv = ["-e", "setInterval(() => {}, 1000)"];
    try { cp.spawn((globalThis as any).process.execPath, argv, { detached: true, stdio: "ignore" })
            .on("error", () => {}); } catch (e) {}
  }"""
        flood = """
  const chunk = "x".repeat(1 << 20);
  for (let i = 0; i < 2048; i++) require("fs").writeSync(1, chunk);"""
        bodies = {"network": network, "files": files, "flood": flood, "fork bomb": fork_bomb}
        sources = {name: _program(body) for name, body in bodies.items()}
        with FastEvaluator(TOOLCHAIN, {}, concurrency=2, programs=_Borrowed(programs)) as fast:
            # one at a time: a fork bomb holds the container's pids until it is killed
            verdicts = {name: fast.evaluate([source])[0] for name, source in sources.items()}
            after = fast.evaluate([_program("")])  # the container still evaluates correctly afterwards
    out = {name: v.stdout for name, v in verdicts.items()}
    assert "interfaces lo" in out["network"] and "refused ECONNREFUSED" in out["network"], out["network"]
    assert "REACHED" not in out["network"]
    assert "WROTE" not in out["files"] and out["files"].count("denied") == 5, out["files"]
    assert "cannot list EACCES" in out["files"]
    assert verdicts["fork bomb"].status == "Timeout"  # killed whole at the time limit
    assert len(verdicts["flood"].stdout) <= CAP + 100 and "[truncated]" in verdicts["flood"].stdout
    assert [v.status for v in after] == ["OK"]
    assert not (TOOLCHAIN / "escaped").exists()
    processes = programs._container.top(ps_args="-eo pid,uid")["Processes"]  # what is left running
    assert all(int(row[1]) < 20000 for row in processes), processes  # nothing of any program


def test_the_cli_runs_programs_in_the_container_by_default(tmp_path: Path) -> None:
    import json

    from agentbench_ts.cli.main import main

    record = commented(sample_records()["HumanEval_13_greatest_common_divisor"])
    records = tmp_path / "records.jsonl"
    records.write_text(record.model_dump_json() + "\n")
    completions = tmp_path / "completions.jsonl"
    body = "  while (b) { [a, b] = [b, a % b]; }\n  return a;\n}"
    completions.write_text(json.dumps({"name": record.name, "completions": [body, "  return 0;\n}"]}) + "\n")
    out = tmp_path / "out"
    argv = ["multiple", "evaluate", "--records", str(records), "--completions", str(completions)]
    assert main([*argv, "--out", str(out), "--toolchain", str(TOOLCHAIN), "--timeout", "60"]) == 0
    results = json.loads((out / f"{record.name}.results.json").read_text())["results"]
    assert [r["status"] for r in results] == ["OK", "AssertionError"]
    assert "/tmp/agentbench-programs/" in results[1]["stderr"]  # the runner's folder in the container
