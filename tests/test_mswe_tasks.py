"""Multi-SWE-bench instances as tasks, offline: where official images keep the repository, the
problem statement, and the gold files the oracle writes."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from mswe_fixture import ORG

from agentbench_ts.errors import TaskDataError
from agentbench_ts.mswe.images import repo_dir_in_image
from agentbench_ts.mswe.specs import create_instance
from agentbench_ts.mswe.tasks import problem_statement, write_gold

from conftest import write_tree


@pytest.mark.parametrize("org_repo", [("Automattic", "wp-calypso"), ("vuejs", "core")])
def test_official_instances_keep_the_repository_under_home(org_repo: tuple[str, str]) -> None:
    from multi_swe_bench.harness.pull_request import Base, PullRequest

    org, repo = org_repo
    pr = PullRequest(
        org, repo, 1, "closed", "t", "b", Base("l", "r", "0" * 40), [], "", "", lang="typescript"
    )
    assert repo_dir_in_image(create_instance(pr)) == f"/home/{repo}"


def test_problem_statement_is_title_body_and_resolved_issues() -> None:
    from multi_swe_bench.harness.pull_request import Base, PullRequest, ResolvedIssue

    issues = [ResolvedIssue(4, "Crash on empty input", "Steps: call f('')"), ResolvedIssue(5, "Also", None)]
    pr = PullRequest(ORG, "calc", 1, "closed", "Fix f", "Body text", Base("l", "r", "0"), issues, "", "")
    text = problem_statement(pr)
    assert text.index("Fix f") < text.index("Body text") < text.index("Issue #4: Crash on empty input")
    assert "Steps: call f('')" in text and "Issue #5: Also" in text


def test_gold_is_the_patch_applied_to_the_start_state(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {"a.ts": "one\n", "b.ts": "keep\n", "gone.ts": "x\n"})
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    for argv in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run([*git, *argv], cwd=repo, check=True)
    (repo / "a.ts").write_text("two\n")
    (repo / "new.ts").write_text("fresh\n")
    (repo / "gone.ts").unlink()
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    patch = subprocess.run(["git", "diff", "--cached"], cwd=repo, check=True, capture_output=True, text=True)
    subprocess.run(["git", "reset", "-q", "--hard"], cwd=repo, check=True)
    write_gold(repo, patch.stdout, tmp_path / "gold")
    files = {p.relative_to(tmp_path / "gold").as_posix() for p in (tmp_path / "gold").rglob("*")}
    assert files == {"a.ts", "new.ts"}  # a deletion has no file to write
    assert (tmp_path / "gold" / "a.ts").read_text() == "two\n"
    assert (repo / "a.ts").read_text() == "one\n" and not (repo / "new.ts").exists()
    with pytest.raises(TaskDataError, match="git apply"):
        write_gold(repo, patch.stdout.replace("-one", "-three"), tmp_path / "gold2")


class _RegistryDouble:
    """Stands in for the docker SDK's image API where no registry can be reached (here): it records
    pulls and builds; a pull succeeds or fails as told. The base image is there, as if loaded."""

    BASE = "agentbench-offline-base:test"

    def __init__(self, pull_works: bool) -> None:
        self.pull_works, self.pulled, self.built = pull_works, list[str](), list[str]()
        self.images = self.api = self.networks = self
        self.labels: dict[str, dict[str, str]] = {self.BASE: {}}

    def pull(self, name: str) -> None:
        self.pulled.append(name)
        if not self.pull_works:
            raise ConnectionError("no registry")

    def get(self, name: str) -> Any:
        from docker.errors import ImageNotFound

        if name not in self.labels:
            raise ImageNotFound(name)
        return SimpleNamespace(labels=self.labels[name])

    def list(self) -> list[Any]:
        return [SimpleNamespace(name="host"), SimpleNamespace(name="none")]

    def build(
        self, *, tag: str, network_mode: str, labels: dict[str, str], **kwargs: object
    ) -> Iterator[Any]:
        self.built.append(f"{tag} network={network_mode}")
        self.labels[tag] = labels
        yield {"stream": "built\n"}


@pytest.mark.parametrize("pull_works", [True, False])
def test_pull_tries_the_official_image_first_then_builds(pull_works: bool, tmp_path: Path) -> None:
    from mswe_fixture import CALC, make_repository, pull_request, register

    from agentbench_ts.mswe.config import BuildOptions
    from agentbench_ts.mswe.images import ensure_instance_image
    from agentbench_ts.sandbox.docker.trust import BuildTrust

    register(_RegistryDouble.BASE, CALC)
    instance = create_instance(pull_request(make_repository(tmp_path, CALC)))
    client = _RegistryDouble(pull_works)
    name = ensure_instance_image(
        client, instance, BuildOptions(network="auto", pull=True, trust=BuildTrust())
    )
    assert client.pulled == [name] and name == instance.name()
    assert client.built == (
        [] if pull_works else [f"{name} network=host"]
    )  # no bridge: auto is the host's network
    offline = _RegistryDouble(pull_works=True)
    ensure_instance_image(offline, instance, BuildOptions(pull=True))  # no network: never pulls
    assert offline.pulled == [] and offline.built == [f"{name} network=none"]
