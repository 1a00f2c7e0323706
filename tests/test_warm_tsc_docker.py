"""Warm `tsc` in the Docker sandbox: the same path as the local one (the launcher and the compiler
server run in the container), the verdicts of a fresh checkout compiled cold, and the server goes with
its container."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from warm_corpus import BASE, EDITS, TEST_COMMAND, verdict, write

from agentbench_ts.sandbox.base import SandboxSpec
from agentbench_ts.sandbox.docker.sandbox import DockerSandbox
from agentbench_ts.tasks.suite import load_suite
from agentbench_ts.tasks.tap import parse_tap

from conftest import QUIXBUGS, write_tree

pytestmark = [pytest.mark.docker, pytest.mark.slow]
Opener = Callable[[SandboxSpec, bool], DockerSandbox]


@pytest.fixture(scope="module")
def corpus_spec(tmp_path_factory: pytest.TempPathFactory) -> SandboxSpec:
    repo = write_tree(tmp_path_factory.mktemp("corpus") / "repo", BASE)
    return SandboxSpec("quixbugs-ts/warm-corpus", repo, QUIXBUGS / "toolchain", group="quixbugs-ts")


@pytest.fixture
def open_box(docker_client, workspace_copies, task_images) -> Iterator[Opener]:  # type: ignore[no-untyped-def]
    opened: list[DockerSandbox] = []

    def open_(spec: SandboxSpec, warm: bool) -> DockerSandbox:
        opened.append(
            DockerSandbox(
                docker_client,
                task_images.image(spec),
                workspaces=workspace_copies,
                name=spec.name,
                warm_tsc=warm,
            )
        )
        return opened[-1]

    yield open_
    for box in opened:
        box.close()


@pytest.mark.parametrize("name", ["gcd", "quicksort"])
def test_bundled_tasks_have_their_cold_verdicts_in_a_container(open_box: Opener, name: str) -> None:
    [task] = load_suite(QUIXBUGS, [name])
    verdicts = {}
    for warm in (True, False):
        box = open_box(task.sandbox_spec(), warm)
        base = box.exec(task.test_command, task.test_timeout_s, separate_stderr=True)
        write(box, dict(task.gold_files()))
        gold = box.exec(task.test_command, task.test_timeout_s, separate_stderr=True)
        verdicts[warm] = (verdict(base), verdict(gold))
        if warm:
            assert box.exec("kill -0 $(cat /tmp/agentbench-warm-tsc/server.pid)", 10).ok  # it ran in here
    assert verdicts[True] == verdicts[False] and verdicts[True][1][0] == 0


@pytest.mark.parametrize(
    "edit", ["a deleted source a test loads at run time", "a renamed export", "a file outside src"]
)
def test_edits_after_warm_builds_in_a_container_get_fresh_cold_verdicts(
    open_box: Opener, corpus_spec: SandboxSpec, edit: str
) -> None:
    warm_box = open_box(corpus_spec, True)
    before = warm_box.exec(TEST_COMMAND, 60, separate_stderr=True)
    assert before.exit_code == 0 and len(parse_tap(before.output)) == 3
    write(warm_box, EDITS[edit])
    warm = warm_box.exec(TEST_COMMAND, 60, separate_stderr=True)
    cold_box = open_box(corpus_spec, False)
    write(cold_box, EDITS[edit])
    assert verdict(warm) == verdict(cold_box.exec(TEST_COMMAND, 60, separate_stderr=True)) != verdict(before)


def test_the_server_goes_with_its_container_and_a_new_one_starts_after_a_timeout(
    open_box: Opener, corpus_spec: SandboxSpec, docker_client
) -> None:  # type: ignore[no-untyped-def]
    box = open_box(corpus_spec, True)
    assert box.exec(TEST_COMMAND, 60).exit_code == 0
    first = box.container_id
    assert box.exec("sleep 30", 1).timed_out  # takes the container (and its server) with it
    assert box.container_id != first
    again = box.exec(TEST_COMMAND, 60, separate_stderr=True)
    assert again.exit_code == 0 and box.exec("kill -0 $(cat /tmp/agentbench-warm-tsc/server.pid)", 10).ok
    box.close()
    assert not [c for c in docker_client.containers.list(all=True) if c.id == first]


def test_a_sandbox_that_does_not_ask_for_warm_builds_runs_tsc_itself(
    open_box: Opener, corpus_spec: SandboxSpec
) -> None:
    box = open_box(corpus_spec, False)
    assert box.exec("command -v tsc", 10).output.strip() == "/work/node_modules/.bin/tsc"
    assert box.exec(TEST_COMMAND, 60).exit_code == 0
    assert not box.exec("test -e /tmp/agentbench-warm-tsc", 10).ok
