"""Soak: many episodes at high concurrency against the scripted OpenAI-compatible server, with faults
injected at random at stated rates, then checks that nothing was lost, duplicated or leaked.

    python benchmarks/soak.py --episodes 2000 --concurrency 12 --sandbox docker

Faults: HTTP 500/503/429, dropped connections, malformed bodies and replies slower than the request
timeout (each at --fault-rate of the model calls, split evenly); sandbox containers killed from
outside mid-episode (every --kill-every-s seconds, docker only); a task whose test command hangs
(its episodes end as timeouts); a task whose read hits the tool output cap. Episodes hit by
infrastructure faults are retried by the run's retry policy; every attempt stays in the trace.

Checks printed afterwards: every (task, sample) has exactly one final record and attempts numbered
0..k; every record has an outcome and a stop reason; no infrastructure fault is labelled a model
failure (the scripted model never fails: every final outcome is resolved, a timeout of the hanging
task, or an error after the retries ran out); no container, overlay mount or episode folder of the
run is left; the trace has no torn line; `agentbench report` and the SFT extractor read it; the
process's memory did not keep growing (RSS sampled every second: the last third's peak within 1.5x
plus 64 MiB of the first third's).

Optional: `--restart-daemon CMD` restarts the Docker daemon once, `--restart-after-s` into the run;
`--disk-full-after-s S` puts the run directory on its own small tmpfs (root only) and fills it S seconds
in: the run stops on ENOSPC as users would see it, the soak frees the space and resumes the run with the
same configuration, and the checks then hold for the resumed whole.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentbench_ts.agent.config import AgentConfig
from agentbench_ts.errors import TraceStoreError
from agentbench_ts.extract import extract_sft
from agentbench_ts.models.options import ModelOptions
from agentbench_ts.protocol.actions import Final, ToolCall
from agentbench_ts.runner import ModelConfig, RunConfig, run_tasks
from agentbench_ts.runner.config import RetryPolicy
from agentbench_ts.sandbox.config import DockerSandboxConfig, ImageConfig, LocalSandboxConfig, SandboxConfig
from agentbench_ts.tasks.suite import load_suite
from agentbench_ts.tasks.task import Task
from agentbench_ts.testing.oracle import oracle_policy
from agentbench_ts.testing.scripted_server import Fault, Policy, ScriptedChatServer
from agentbench_ts.traces import TraceStore

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "tasks" / "quixbugs-ts"
REQUEST_TIMEOUT_S = 2.0
FAULTS = [
    Fault("status", 500),
    Fault("status", 503),
    Fault("status", 429),
    Fault("drop"),
    Fault("malformed"),
    Fault("slow", delay_s=REQUEST_TIMEOUT_S + 1),
]


@dataclass(frozen=True)
class SoakOptions:
    out: Path
    episodes: int = 2000
    concurrency: int = 12
    sandbox: str = "docker"
    fault_rate: float = 0.03
    kill_every_s: float = 5.0
    seed: int = 0
    workspaces: Path | None = None
    restart_daemon: str | None = None
    """A shell command that restarts the Docker daemon (run once, `restart_after_s` into the run)."""
    restart_after_s: float = 30.0
    disk_full_after_s: float | None = None
    """Fill the run directory's own tmpfs this long into the run, then free it and resume."""
    disk_mib: int = 1024


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class SoakReport:
    checks: list[Check] = field(default_factory=list)
    episodes: int = 0
    attempts: int = 0
    kills: int = 0
    model_calls: int = 0
    wall_s: float = 0.0
    daemon_restart_s: float | None = None
    """How long the daemon was away, where it was restarted (-1: the run ended first)."""
    disk_full_stops: int = 0
    """How often the run stopped on a full disk and was resumed."""

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


def soak_tasks(tmp: Path) -> list[Task]:
    """The bundled suite, plus a task whose tests hang and one whose read hits the output cap."""
    tasks = load_suite(SUITE)
    first = tasks[0]
    hang = first.model_copy(
        update={
            "task_id": f"{first.task_id}-hangs",
            "instructions": first.instructions + " (Its tests hang.)",
            "test_command": "sleep 600",
            "test_timeout_s": 2.0,
        }
    )
    big = tmp / "big-repo"
    if not big.exists():
        shutil.copytree(first.repo_dir, big, symlinks=True)
        (big / "src" / "huge.ts").write_text("// padding\n" * 200_000)
    capped = first.model_copy(
        update={
            "task_id": f"{first.task_id}-capped",
            "instructions": first.instructions + " (A huge file is there too.)",
            "repo_dir": big,
        }
    )
    return [*tasks, hang, capped]


def _faults(rate: float, seed: int) -> Callable[[int], Fault | None]:
    rng = random.Random(seed)
    lock = threading.Lock()

    def pick(_call: int) -> Fault | None:
        with lock:
            return rng.choice(FAULTS) if rng.random() < rate else None

    return pick


def _policy(tasks: list[Task]) -> Policy:
    """The oracle, except that the capped task first reads its huge file (hitting the output cap)."""
    oracle = oracle_policy(tasks)
    capped = next(t for t in tasks if t.task_id.endswith("-capped"))
    big_read = ToolCall("read_file", {"rel_path": "src/huge.ts", "max_chars": 100_000}).to_json()

    def reply(messages: list[dict[str, Any]]) -> str:
        goal = next(m["content"] for m in messages if m["role"] == "user")
        if goal == capped.instructions:
            if not any(m["role"] == "assistant" for m in messages):
                return big_read
            messages = [*messages[:2], *messages[4:]]  # as if the big read had not happened
        try:
            return oracle(messages)
        except IndexError:  # the oracle is done, but the tests still fail (they hang): give up
            return Final("give_up", "the tests do not finish").to_json()

    return reply


class _Killer(threading.Thread):
    """Kills one of this process's running sandbox containers every `every_s` seconds."""

    def __init__(self, every_s: float, seed: int) -> None:
        super().__init__(daemon=True, name="soak-killer")
        self.every_s, self.rng, self.stop, self.kills = every_s, random.Random(seed), threading.Event(), 0

    def run(self) -> None:
        from agentbench_ts.sandbox.docker.client import docker_client  # noqa: PLC0415
        from agentbench_ts.sandbox.docker.sandbox import OWNER_LABEL, SANDBOX_LABEL, owner_label  # noqa: PLC0415

        client = docker_client()
        ours: dict[str, str | list[str] | bool] = {
            "label": [SANDBOX_LABEL, f"{OWNER_LABEL}={owner_label()}"],
            "status": "running",
        }
        while not self.stop.wait(self.every_s):
            # Any call may fail: a container listed may be gone before it is inspected (a run stopping
            # removes many at once), and the daemon may be restarting. The killer goes on regardless.
            try:
                running = client.containers.list(filters=ours)  # this process's only
                if running:
                    self.rng.choice(running).kill()
                    self.kills += 1
            except Exception:
                continue


class _DaemonRestart(threading.Thread):
    """Runs `command` (a restart of the Docker daemon) once, `after_s` into the run, and waits for the
    daemon to answer again."""

    def __init__(self, command: str, after_s: float) -> None:
        super().__init__(daemon=True, name="soak-daemon-restart")
        self.command, self.after_s, self.stop, self.done_s = command, after_s, threading.Event(), -1.0

    def run(self) -> None:
        if self.stop.wait(self.after_s):
            return
        started = time.monotonic()
        subprocess.run(
            self.command, shell=True, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        while subprocess.run(["docker", "info"], capture_output=True, check=False).returncode != 0:
            time.sleep(0.5)
        self.done_s = time.monotonic() - started


class _DiskFiller(threading.Thread):
    """Fills the run directory's filesystem `after_s` into the run and keeps it full until `free`."""

    def __init__(self, directory: Path, after_s: float) -> None:
        super().__init__(daemon=True, name="soak-disk-filler")
        self.filler, self.after_s, self.stop = directory / "filler.bin", after_s, threading.Event()

    def run(self) -> None:
        if self.stop.wait(self.after_s):
            return
        chunk = b"\0" * (1 << 20)
        try:
            with self.filler.open("wb") as out:
                while not self.stop.is_set():
                    out.write(chunk)
                    out.flush()
        except OSError:  # full: what it was for
            pass

    def free(self) -> None:
        self.stop.set()
        self.join()
        self.filler.unlink(missing_ok=True)


@contextmanager
def own_tmpfs(directory: Path, mib: int) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={mib}m", "tmpfs", str(directory)], check=True)
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


class _Memory(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True, name="soak-rss")
        self.samples: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(1.0):
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    self.samples.append(int(line.split()[1]) * 1024)


def _sandbox(options: SoakOptions) -> SandboxConfig:
    if options.sandbox == "docker":
        images = ImageConfig(workspaces=options.workspaces) if options.workspaces else ImageConfig()
        return DockerSandboxConfig(images=images)
    import os  # noqa: PLC0415

    return LocalSandboxConfig(path_env=os.environ["PATH"])


def _leftovers(options: SoakOptions, sandbox: SandboxConfig) -> list[str]:
    if not isinstance(sandbox, DockerSandboxConfig):
        return []
    from agentbench_ts.sandbox.docker.client import docker_client  # noqa: PLC0415
    from agentbench_ts.sandbox.docker.sandbox import OWNER_LABEL, SANDBOX_LABEL, owner_label  # noqa: PLC0415

    client = docker_client()
    mine = f"{OWNER_LABEL}={owner_label()}"
    left = [
        f"container {c.name}"
        for c in client.containers.list(all=True, filters={"label": [SANDBOX_LABEL, mine]})
    ]
    root = sandbox.images.workspaces
    left += [
        f"mount {line.split()[1]}"
        for line in Path("/proc/mounts").read_text().splitlines()
        if str(root) in line
    ]
    episodes = root / "episodes"
    left += [f"folder {p}" for p in episodes.iterdir()] if episodes.is_dir() else []
    return left


def run_soak(options: SoakOptions) -> SoakReport:
    report = SoakReport()
    tasks = soak_tasks(options.out.parent)
    samples = max(1, math.ceil(options.episodes / len(tasks)))
    sandbox = _sandbox(options)
    memory, killer = _Memory(), _Killer(options.kill_every_s, options.seed)
    restart = (
        _DaemonRestart(options.restart_daemon, options.restart_after_s) if options.restart_daemon else None
    )
    started = time.monotonic()
    with ScriptedChatServer(_policy(tasks), fault_source=_faults(options.fault_rate, options.seed)) as server:
        spec = f"openai:{server.base_url}#scripted"
        model = ModelOptions(timeout_s=REQUEST_TIMEOUT_S, max_retries=3, backoff_s=0.05, max_backoff_s=0.2)
        config = RunConfig(
            out_dir=options.out,
            model=ModelConfig(spec=spec, options=model),
            sandbox=sandbox,
            agent=AgentConfig(test_policy="end", max_steps=12),
            samples=samples,
            concurrency=options.concurrency,
            retry=RetryPolicy(attempts=4, backoff_s=1.0),
        )
        memory.start()
        if options.sandbox == "docker" and options.kill_every_s > 0:
            killer.start()
        if restart is not None:
            restart.start()
        try:
            report.disk_full_stops = _run_resuming_after_full_disk(config, tasks, options)
        finally:
            killer.stop.set()
            memory.stop.set()
            if restart is not None:
                restart.stop.set()
                restart.join()
        report.model_calls = server.calls
    report.wall_s = time.monotonic() - started
    report.kills = killer.kills
    report.daemon_restart_s = restart.done_s if restart is not None else None
    report.checks = _checks(options, sandbox, tasks=tasks, samples=samples, rss=memory.samples, report=report)
    return report


def _run_resuming_after_full_disk(config: RunConfig, tasks: list[Task], options: SoakOptions) -> int:
    """Runs the tasks; where the disk fills up, frees it and runs the same command again (a resume)."""
    if options.disk_full_after_s is None:
        run_tasks(config, tasks=tasks)
        return 0
    filler = _DiskFiller(options.out, options.disk_full_after_s)
    filler.start()
    stops = 0
    while True:
        try:
            run_tasks(config, tasks=tasks)
        except TraceStoreError as exc:
            if "no space left" not in str(exc):
                raise
            stops += 1
            print(f"the run stopped: {exc}", flush=True)
            filler.free()
            continue
        filler.free()
        return stops


def _checks(
    options: SoakOptions,
    sandbox: SandboxConfig,
    *,
    tasks: list[Task],
    samples: int,
    rss: list[int],
    report: SoakReport,
) -> list[Check]:
    store = TraceStore(options.out)
    checks = []
    raw = store.episodes_path.read_bytes()
    torn = [i for i, line in enumerate(raw.splitlines(), 1) if not _is_json(line)]
    checks.append(Check("no torn line", raw.endswith(b"\n") and not torn, f"bad lines {torn[:5]}"))
    attempts = list(store.attempts())
    finals = list(store.episodes())
    report.episodes, report.attempts = len(finals), len(attempts)
    expected = {(t.task_id, s) for t in tasks for s in range(samples)}
    keys = [r.key for r in finals]
    checks.append(
        Check(
            "one final record per (task, sample)",
            sorted(keys) == sorted(expected),
            f"{len(keys)} records for {len(expected)} pairs",
        )
    )
    numbering: dict[tuple[str, int], list[int]] = {}
    for record in attempts:
        numbering.setdefault(record.key, []).append(record.attempt)
    gaps = [k for k, seen in numbering.items() if seen != list(range(len(seen)))]
    checks.append(Check("attempts numbered 0..k", not gaps, f"{gaps[:3]}"))
    checks.append(
        Check(
            "every record has an outcome and a stop reason",
            all(r.outcome and r.stop_reason for r in attempts),
        )
    )
    mislabelled = [r.key for r in finals if r.outcome == "failed"]
    hang = {r.outcome for r in finals if r.task_id.endswith("-hangs")}
    checks.append(
        Check("no infrastructure fault labelled a model failure", not mislabelled, f"{mislabelled[:5]}")
    )
    checks.append(
        Check("the hanging test command ends as a timeout", hang <= {"timeout", "error"}, f"{hang}")
    )
    # Fault-free, the scripted oracle resolves every task but the hanging one: so must this run, on
    # every episode whose retries did not run out.
    graded = [r for r in finals if not r.task_id.endswith("-hangs") and r.outcome != "error"]
    resolved = sum(r.outcome == "resolved" for r in graded)
    errors = sum(r.outcome == "error" for r in finals)
    checks.append(
        Check(
            "resolved as a fault-free run would be",
            resolved == len(graded),
            f"{resolved} of {len(graded)}; {errors} ended in error after their retries",
        )
    )
    infra = [r for r in attempts if r.stop_reason in ("harness_error", "model_error")]
    checks.append(
        Check("infrastructure errors are outcome 'error'", all(r.outcome == "error" for r in infra))
    )
    capped = [r for r in attempts if r.task_id.endswith("-capped") and r.steps and r.steps[0].tool_result]
    truncated = all(r.steps[0].tool_result.truncated for r in capped if r.steps[0].tool_result)
    checks.append(Check("the capped read is truncated, not fatal", truncated, f"{len(capped)} episodes"))
    left = _leftovers(options, sandbox)
    checks.append(Check("no container, mount or episode folder left", not left, f"{left[:5]}"))
    done = subprocess.run(
        [sys.executable, "-m", "agentbench_ts.cli.main", "report", str(options.out)],
        capture_output=True,
        text=True,
        check=False,
    )
    checks.append(Check("agentbench report reads the run", done.returncode == 0, done.stderr[-300:]))
    try:
        rows = extract_sft([options.out]).report.kept
        checks.append(Check("the extractor reads the run", rows > 0, f"{rows} rows"))
    except Exception as exc:  # the check reports any failure
        checks.append(Check("the extractor reads the run", False, str(exc)[:300]))
    third = max(1, len(rss) // 3)
    first, last = max(rss[:third], default=0), max(rss[-third:], default=0)
    checks.append(
        Check(
            "memory did not keep growing",
            last <= 1.5 * first + (64 << 20),
            f"RSS peak {first >> 20} MiB in the first third, {last >> 20} MiB in the last",
        )
    )
    return checks


def _is_json(line: bytes) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("/tmp/agentbench-soak/run"))
    parser.add_argument("--episodes", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=12)
    parser.add_argument("--sandbox", choices=["docker", "local"], default="docker")
    parser.add_argument("--fault-rate", type=float, default=0.03)
    parser.add_argument("--kill-every-s", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--restart-daemon", help="a shell command that restarts the Docker daemon, run once")
    parser.add_argument("--restart-after-s", type=float, default=30.0)
    parser.add_argument(
        "--disk-full-after-s", type=float, help="fill the run directory's own tmpfs this far in (root)"
    )
    parser.add_argument("--disk-mib", type=int, default=1024, help="the size of that tmpfs")
    args = parser.parse_args()
    options = SoakOptions(
        args.out,
        args.episodes,
        args.concurrency,
        args.sandbox,
        args.fault_rate,
        args.kill_every_s,
        args.seed,
        restart_daemon=args.restart_daemon,
        restart_after_s=args.restart_after_s,
        disk_full_after_s=args.disk_full_after_s,
        disk_mib=args.disk_mib,
    )
    if options.disk_full_after_s is not None:
        with own_tmpfs(options.out, options.disk_mib):
            report = run_soak(options)
            kept = options.out.with_name(options.out.name + "-kept")
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(options.out, kept)  # the tmpfs goes: the trace stays for a look
        print(f"the run's trace is kept in {kept}")
    else:
        report = run_soak(options)
    if report.disk_full_stops:
        print(f"the disk filled up {options.disk_full_after_s:.0f} s in; resumed {report.disk_full_stops}x")
    if report.daemon_restart_s is not None:
        print(
            f"the Docker daemon was restarted {options.restart_after_s:.0f} s in"
            f" (away {report.daemon_restart_s:.1f} s)"
        )
    print(
        f"{report.episodes} episodes ({report.attempts} attempts, {report.model_calls} model calls,"
        f" {report.kills} containers killed) in {report.wall_s:.0f} s"
    )
    for check in report.checks:
        print(f"{'ok  ' if check.ok else 'FAIL'} {check.name}{': ' + check.detail if check.detail else ''}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
