"""Fixtures that build small real repositories and tasks."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from agentbench_ts.sandbox.base import SandboxSpec
from agentbench_ts.sandbox.config import LocalSandboxConfig
from agentbench_ts.sandbox.local import LocalSandbox
from agentbench_ts.sandbox.registry import SandboxFactory, sandbox_factory
from agentbench_ts.tasks.task import Task

REPO_ROOT = Path(__file__).resolve().parents[1]
QUIXBUGS = REPO_ROOT / "tasks" / "quixbugs-ts"

BUGGY_ADD = "exports.add = (a, b) => a - b;\n"
FIXED_ADD = "exports.add = (a, b) => a + b;\n"
ADD_TESTS = """const { test } = require("node:test");
const assert = require("node:assert/strict");
const { add } = require("../src/add.js");
test("adds small numbers", () => { assert.equal(add(2, 3), 5); });
test("adding zero keeps the number", () => { assert.equal(add(4, 0), 4); });
"""


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


@pytest.fixture
def path_env() -> str:
    return os.environ["PATH"]


@pytest.fixture
def js_task(tmp_path: Path) -> Task:
    """A one-bug JavaScript task whose tests run with `node --test` (no compiler: fast)."""
    return make_js_task(tmp_path / "add")


@pytest.fixture
def local_sandboxes(path_env: str) -> Callable[[SandboxSpec], LocalSandbox]:
    def build(spec: SandboxSpec) -> LocalSandbox:
        return LocalSandbox(spec.repo_dir, spec.toolchain_dir, path_env=path_env)

    return build


@pytest.fixture
def make_sandbox(path_env: str) -> SandboxFactory:
    return sandbox_factory(LocalSandboxConfig(path_env=path_env))


@pytest.fixture(scope="session", autouse=True)
def _toolchain_installed() -> None:
    modules = QUIXBUGS / "toolchain" / "node_modules" / "typescript"
    if not modules.is_dir():
        pytest.exit(
            f"TypeScript is not installed: run npm ci --prefix {QUIXBUGS / 'toolchain'}", returncode=2
        )


def strict() -> bool:
    """CI sets AGENTBENCH_STRICT=1: a missing Docker daemon or ripgrep then fails instead of skipping."""
    return os.environ.get("AGENTBENCH_STRICT") == "1"


@pytest.fixture(scope="session")
def docker_client():  # type: ignore[no-untyped-def]
    from agentbench_ts.errors import SandboxError
    from agentbench_ts.sandbox.docker.client import docker_client as connect

    try:
        return connect()
    except SandboxError as exc:
        if strict():
            pytest.fail(f"Docker is required here but unavailable: {exc}")
        pytest.skip(f"no Docker daemon: {exc}")


@pytest.fixture(scope="session")
def task_images(docker_client):  # type: ignore[no-untyped-def]
    """Image builder for tests; bootstraps the offline base first if it is missing (about a minute)."""
    from agentbench_ts.sandbox.config import ImageConfig
    from agentbench_ts.sandbox.docker.bootstrap import BootstrapRecipe, build_base
    from agentbench_ts.sandbox.docker.layers import TaskImages

    config = ImageConfig()
    build_base(docker_client, BootstrapRecipe.load(config.recipes / "base" / "bootstrap.json"))
    return TaskImages(docker_client, config)


@pytest.fixture(scope="session")
def workspace_copies(docker_client, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from agentbench_ts.sandbox.docker.workspace import WorkspaceCopies

    return WorkspaceCopies(docker_client, tmp_path_factory.mktemp("docker-workspaces"))


@pytest.fixture(scope="module")
def unsloth_may_skip_torchvision() -> None:
    """Unsloth checks for torchvision when imported; these machines have none and need none."""
    os.environ.setdefault("UNSLOTH_SKIP_TORCHVISION_CHECK", "1")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Qwen2 with a locally trained tokenizer (tests/tiny_models.py): mechanics only."""
    from tiny_models import build_tiny_qwen2

    return build_tiny_qwen2(tmp_path_factory.mktemp("tiny") / "base")


def make_js_task(root: Path, task_id: str = "toy/add") -> Task:
    repo = write_tree(root / "repo", {"src/add.js": BUGGY_ADD, "test/add.test.js": ADD_TESTS})
    gold = write_tree(root / "gold", {"src/add.js": FIXED_ADD})
    return Task(
        task_id=task_id,
        suite="toy",
        instructions="add(a, b) in src/add.js should return a + b. Fix it.",
        repo_dir=repo,
        gold_dir=gold,
        test_command="node --test --test-reporter=tap test/",
        test_timeout_s=30,
        fail_to_pass=("adds small numbers",),
        pass_to_pass=("adding zero keeps the number",),
    )


@contextmanager
def mswe_specs_restored() -> Iterator[dict[str, Any]]:
    """The Multi-SWE-bench spec registry, and the spec modules loaded, as they were before the block:
    what a test registers (synthetic repositories, users' specs) does not outlive it."""
    before = "multi_swe_bench.harness.instance" in sys.modules
    from multi_swe_bench.harness.instance import Instance

    from agentbench_ts.mswe import specs

    saved = dict(Instance._registry) if before else None
    loaded = set(specs._LOADED)
    try:
        yield Instance._registry
    finally:
        if saved is None:  # imported during the block: keep only the package's own specs
            saved = {
                k: v for k, v in Instance._registry.items() if v.__module__.startswith("multi_swe_bench.")
            }
        Instance._registry.clear()
        Instance._registry.update(saved)
        for module in set(specs._LOADED) - loaded - {""}:
            sys.modules.pop(module, None)
        specs._LOADED.intersection_update(loaded | {""})


@pytest.fixture(scope="module", autouse=True)
def _mswe_specs_undone() -> Iterator[None]:
    """Specs a test module registers go when the module is done (any order, one process or many)."""
    try:
        import multi_swe_bench  # noqa: F401
    except ImportError:
        yield
        return
    with mswe_specs_restored():
        yield


def install_package(source: Path, site: Path) -> Path:
    """Install the package at `source` (a folder with a pyproject.toml) into the folder `site`, offline,
    as a plug-in package a user has; put `site` on PYTHONPATH to use it in a fresh process."""
    import subprocess
    import sys

    install = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
    ]
    subprocess.run([*install, "--target", str(site), str(source)], check=True, capture_output=True)
    return site


@pytest.fixture(scope="session")
def ripgrep() -> str:
    import shutil

    found = shutil.which("rg")
    if found is None:
        if strict():
            pytest.fail("ripgrep (rg) is required here but not installed")
        pytest.skip("ripgrep (rg) is not installed")
    return found


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """The shuffled order's seed again at the end of a failed run, for reproducing it."""
    seed = getattr(config.option, "randomly_seed", None)
    if exitstatus != 0 and isinstance(seed, int):
        terminalreporter.write_line(
            f"tests ran in a shuffled order: pytest -p randomly --randomly-seed={seed}"
        )
