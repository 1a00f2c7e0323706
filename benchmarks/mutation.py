"""Mutation testing of the modules whose rules the tests must pin (mutmut 3): each module's mutants
(a flipped comparison, a changed constant, a dropped call, ...) are run against the tests that cover
it, and the share killed is printed per module with the survivors. The run is on a scratch copy of the
working tree; nothing here is changed.

Only the fast tests run (`-m "not docker and not slow"`): a mutant that only a Docker or slow test
would kill counts as surviving here, so rules are pinned by fast tests of their own. Modules that share
their tests are mutated in one mutmut run.

    pip install mutmut==3.8.1
    python benchmarks/mutation.py                                   # every module below
    python benchmarks/mutation.py agentbench_ts/mswe/flaky.py --show  # one module, survivors' diffs
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
Tests = tuple[str, ...]
"""The test files that pin a module's rules (their fast tests run against its mutants)."""
# Fast tests only here too: test_train.py and test_rounds.py train tiny models and run whole
# experiments, and with them every surviving mutant would run an experiment again (a minute or more),
# taking a module hours. What only they pin shows as surviving.
TRAIN_TESTS = ("tests/test_train_rules.py",)
ROUNDS_TESTS = ("tests/test_rounds_rules.py",)
# test_pytest_plugin.py runs pytest in subprocesses, where mutmut sees no call: the rules are pinned
# in-process by test_pytest_plugin_rules.py
PLUGIN_TESTS = ("tests/test_pytest_plugin_rules.py",)
RUNNER_TESTS = (
    "tests/test_traces.py",
    "tests/test_run_config.py",
    "tests/test_resume_rules.py",
    "tests/test_runner_rules.py",
)
VIEW_TESTS = ("tests/test_view.py", "tests/test_view_data.py")
MODULES: dict[str, Tests] = {
    "agentbench_ts/mswe/flaky.py": ("tests/test_mswe_build.py", "tests/test_mswe_rules.py"),
    "agentbench_ts/mswe/install_check.py": ("tests/test_mswe_rules.py", "tests/test_mswe_breadth.py"),
    "agentbench_ts/mswe/specs.py": ("tests/test_mswe_specs.py",),
    "agentbench_ts/mswe/setup_replay.py": ("tests/test_mswe_setup_replay.py",),
    "agentbench_ts/mswe/mirrors.py": ("tests/test_mswe_mirrors.py", "tests/test_mswe_build.py"),
    "agentbench_ts/sandbox/docker/standins.py": ("tests/test_standins.py", "tests/test_mswe_rules.py"),
    "agentbench_ts/protocol/parser.py": (
        "tests/test_protocol.py",
        "tests/test_parser_rules.py",
        "tests/test_fuzz.py",
    ),
    "agentbench_ts/tasks/digest.py": ("tests/test_task_digest.py", "tests/test_traces.py"),
    "agentbench_ts/runner/run.py": RUNNER_TESTS,
    "agentbench_ts/runner/config.py": RUNNER_TESTS,
    "agentbench_ts/view/compare.py": VIEW_TESTS,
    "agentbench_ts/view/data.py": VIEW_TESTS,
    "agentbench_ts/interop/atif.py": ("tests/test_atif.py", "tests/test_atif_fields.py"),
    **{
        f"agentbench_ts/pytest_plugin/{name}.py": PLUGIN_TESTS
        for name in ("fixtures", "gold", "items", "options", "orphans", "plugin", "state", "summary")
    },
    **{
        f"agentbench_ts/train/{name}.py": TRAIN_TESTS
        for name in (
            "adapter",
            "api",
            "backends",
            "canary",
            "config",
            "data",
            "fit",
            "selection",
            "vllm_compat",
        )
    },
    **{
        f"agentbench_ts/rounds/{name}.py": ROUNDS_TESTS
        for name in (
            "config",
            "engine",
            "experiment",
            "lineage",
            "manifest",
            "regenerate",
            "report",
            "stages",
        )
    },
}
"""Module -> the test files that pin its rules."""
PYTEST_ARGS = ["-p", "no:randomly", "-p", "no:cacheprovider", "-q", "-m", "not docker and not slow"]


def scratch_copy(target: Path) -> None:
    """The working tree as git sees it (tracked and untracked, not ignored). mutmut copies it again
    into mutants/ resolving links, which breaks npm's .bin links: the bundled suites' folder (with its
    installed toolchain, links kept) is linked into mutants/ beforehand instead, and other toolchains
    are installed afresh there on first use, as in a fresh checkout."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        source = ROOT / rel
        if source.is_file() and "node_modules/" not in rel:
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / rel)
    toolchain = Path("tasks/quixbugs-ts/toolchain/node_modules")
    shutil.copytree(ROOT / toolchain, target / toolchain, symlinks=True)
    (target / "mutants").mkdir()
    (target / "mutants" / "tasks").symlink_to(target / "tasks", target_is_directory=True)


def _toml_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(json.dumps(value) for value in values) + "]"


def configure(copy: Path, modules: Sequence[str], tests: Tests) -> None:
    present = [test for test in tests if (copy / test).is_file()]
    settings = {
        "source_paths": ["agentbench_ts"],
        "only_mutate": list(modules),
        "pytest_add_cli_args_test_selection": present,
        "pytest_add_cli_args": PYTEST_ARGS,
        "also_copy": ["benchmarks", "examples", "sandboxes"],  # tasks/ is linked (see scratch_copy)
    }
    section = "\n[tool.mutmut]\n" + "".join(
        f"{key} = {_toml_list(value)}\n" for key, value in settings.items()
    )
    with (copy / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write(section)


def module_of(mutant: str) -> str:
    """`agentbench_ts.train.fit.x_build__mutmut_3` -> `agentbench_ts/train/fit.py`."""
    dotted = mutant.split(".x", 1)[0] if ".x_" in mutant else mutant.split(".x\u01c1", 1)[0]
    return dotted.replace(".", "/") + ".py"


@dataclass
class Score:
    killed: int = 0
    total: int = 0
    survivors: list[str] = field(default_factory=list)


def mutate(modules: Sequence[str], tests: Tests, show: bool) -> dict[str, Score]:
    """Each module's score, from one mutmut run over modules that share their tests."""
    with tempfile.TemporaryDirectory(prefix="agentbench-mutation-") as tmp:
        copy = Path(tmp)
        scratch_copy(copy)
        configure(copy, modules, tests)
        env = {**os.environ, "UNSLOTH_SKIP_TORCHVISION_CHECK": "1"}
        ran = subprocess.run(
            ["mutmut", "run"], cwd=copy, env=env, capture_output=True, text=True, check=False
        )
        listed = subprocess.run(
            ["mutmut", "results", "--all", "true"],
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        states = dict(re.findall(r"^\s*(\S+__mutmut_\d+): (.+)$", listed, re.MULTILINE))
        if not states or all(state == "not checked" for state in states.values()):
            tail = "\n".join(ran.stdout.replace("\r", "\n").splitlines()[-25:])
            raise SystemExit(f"mutmut ran no mutant of {modules} (the tests fail unmutated?):\n{tail}")
        scores = {module: Score() for module in modules}
        for name, state in sorted(states.items()):
            score = scores[module_of(name)]
            score.total += 1
            if state in ("killed", "timeout"):
                score.killed += 1
                continue
            score.survivors.append(f"{name} ({state})")
            if show:
                shown = subprocess.run(
                    ["mutmut", "show", name], cwd=copy, env=env, capture_output=True, text=True, check=False
                )
                print(f"--- {name} ({state})\n{shown.stdout.strip()}")
        return scores


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="modules of MODULES (default: all)")
    parser.add_argument("--show", action="store_true", help="print each survivor's diff")
    args = parser.parse_args(argv)
    if shutil.which("mutmut") is None:
        print("mutmut is not installed: pip install mutmut==3.8.1", file=sys.stderr)
        return 2
    unknown = sorted(set(args.modules) - set(MODULES))
    if unknown:
        print(f"not in MODULES: {unknown}", file=sys.stderr)
        return 2
    groups: dict[Tests, list[str]] = {}
    for module in args.modules or list(MODULES):
        groups.setdefault(MODULES[module], []).append(module)
    below = []
    for tests, modules in groups.items():
        started = time.monotonic()
        scores = mutate(modules, tests, args.show)
        print(f"# {', '.join(tests)}: {time.monotonic() - started:.0f} s", flush=True)
        for module, score in scores.items():
            share = score.killed / score.total if score.total else 1.0
            print(f"{module:45s} {score.killed:4d}/{score.total:<4d} killed  {share:6.1%}", flush=True)
            for survivor in score.survivors:
                print(f"    survived: {survivor}", flush=True)
            if share < 0.85:
                below.append(module)
    print(f"below 85%: {', '.join(below) or 'none'}")
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
