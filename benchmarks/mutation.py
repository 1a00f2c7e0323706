"""Mutation testing of the modules whose rules the tests must pin (mutmut 3): each module's mutants
(a flipped comparison, a changed constant, a dropped call, ...) are run against the tests that cover
it, and the share killed is printed per module with the survivors. The run is on a scratch copy of the
working tree; nothing here is changed.

Only the fast tests run (`-m "not docker and not slow"`): a mutant that only a Docker or slow test
would kill counts as surviving here, so rules are pinned by fast tests of their own.

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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES: dict[str, list[str]] = {
    "agentbench_ts/mswe/flaky.py": ["tests/test_mswe_build.py", "tests/test_mswe_rules.py"],
    "agentbench_ts/mswe/install_check.py": ["tests/test_mswe_rules.py", "tests/test_mswe_breadth.py"],
    "agentbench_ts/mswe/specs.py": ["tests/test_mswe_specs.py"],
    "agentbench_ts/mswe/setup_replay.py": ["tests/test_mswe_setup_replay.py"],
    "agentbench_ts/mswe/mirrors.py": ["tests/test_mswe_mirrors.py", "tests/test_mswe_build.py"],
    "agentbench_ts/sandbox/docker/standins.py": ["tests/test_standins.py", "tests/test_mswe_rules.py"],
    "agentbench_ts/protocol/parser.py": ["tests/test_protocol.py", "tests/test_fuzz.py"],
    "agentbench_ts/tasks/digest.py": ["tests/test_task_digest.py", "tests/test_traces.py"],
}
"""Module -> the test files that pin its rules."""
NODE_MODULES = (
    "agentbench_ts/multiple/toolchain/node_modules",
    "tasks/quixbugs-ts/toolchain/node_modules",
    "tests/runners/node_modules",
)
PYTEST_ARGS = ["-p", "no:randomly", "-p", "no:cacheprovider", "-q", "-m", "not docker and not slow"]


def scratch_copy(target: Path) -> None:
    """The working tree as git sees it (tracked and untracked, not ignored), node_modules linked."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        source = ROOT / rel
        if source.is_file() and not any(rel.startswith(f"{modules}/") for modules in NODE_MODULES):
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / rel)
    for modules in NODE_MODULES:
        if (ROOT / modules).is_dir():
            (target / modules).parent.mkdir(parents=True, exist_ok=True)
            (target / modules).symlink_to(ROOT / modules, target_is_directory=True)


def _toml_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(json.dumps(value) for value in values) + "]"


def configure(copy: Path, module: str, tests: Sequence[str]) -> None:
    settings = {
        "source_paths": ["agentbench_ts"],
        "only_mutate": [module],
        "pytest_add_cli_args_test_selection": list(tests),
        "pytest_add_cli_args": PYTEST_ARGS,
        "also_copy": ["tasks", "benchmarks", "examples", "sandboxes"],
    }
    section = "\n[tool.mutmut]\n" + "".join(
        f"{key} = {_toml_list(value)}\n" for key, value in settings.items()
    )
    with (copy / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write(section)


def mutate(module: str, tests: Sequence[str], show: bool) -> tuple[int, int, list[str]]:
    """(killed, all, survivors) of one module."""
    with tempfile.TemporaryDirectory(prefix="agentbench-mutation-") as tmp:
        copy = Path(tmp)
        scratch_copy(copy)
        configure(copy, module, tests)
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
        if states and all(state == "not checked" for state in states.values()):
            tail = "\n".join(ran.stdout.replace("\r", "\n").splitlines()[-25:])
            raise SystemExit(f"mutmut ran no mutant of {module} (the tests fail unmutated?):\n{tail}")
        survivors = sorted(name for name, state in states.items() if state not in ("killed", "timeout"))
        if show:
            for name in survivors:
                shown = subprocess.run(
                    ["mutmut", "show", name], cwd=copy, env=env, capture_output=True, text=True, check=False
                )
                print(f"--- {name} ({states[name]})\n{shown.stdout.strip()}")
        return len(states) - len(survivors), len(states), [f"{name} ({states[name]})" for name in survivors]


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
    below = []
    for module in args.modules or list(MODULES):
        started = time.monotonic()
        killed, total, survivors = mutate(module, MODULES[module], args.show)
        score = killed / total if total else 1.0
        print(
            f"{module:45s} {killed:4d}/{total:<4d} killed  {score:6.1%}  ({time.monotonic() - started:.0f} s)"
        )
        for survivor in survivors:
            print(f"    survived: {survivor}")
        if score < 0.85:
            below.append(module)
    print(f"below 85%: {', '.join(below) or 'none'}")
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
