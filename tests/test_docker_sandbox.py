"""DockerSandbox against a real daemon: containment, confinement, reset, cleanup, images."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentbench_ts.sandbox.base import final_patch
from agentbench_ts.sandbox.config import DockerLimits
from agentbench_ts.sandbox.docker.gc import collect_garbage
from agentbench_ts.sandbox.docker.images import ImageRecipe, image_ref
from agentbench_ts.sandbox.docker.sandbox import OWNER_LABEL, SANDBOX_LABEL, DockerSandbox, owner_label
from agentbench_ts.tasks import run_tests
from agentbench_ts.tasks.task import Task
from agentbench_ts.tasks.validate import apply_gold

from conftest import FIXED_ADD, make_js_task

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def toy_task(tmp_path_factory: pytest.TempPathFactory) -> Task:
    return make_js_task(tmp_path_factory.mktemp("toy"))


@pytest.fixture(scope="module")
def toy_image(task_images, toy_task: Task) -> str:  # type: ignore[no-untyped-def]
    return str(task_images.image(toy_task.sandbox_spec()))


def _our_containers(client) -> list[object]:  # type: ignore[no-untyped-def]
    filters = {"label": [SANDBOX_LABEL, f"{OWNER_LABEL}={owner_label()}"]}
    return list(client.containers.list(all=True, filters=filters))


@pytest.fixture
def sandbox(docker_client, workspace_copies, toy_image: str) -> Iterator[DockerSandbox]:  # type: ignore[no-untyped-def]
    limits = DockerLimits(memory_bytes=256 << 20, pids=128, max_file_bytes=64 << 20)
    with DockerSandbox(
        docker_client, toy_image, workspaces=workspace_copies, name="toy/add", limits=limits
    ) as box:
        yield box
    assert _our_containers(docker_client) == []
    assert list((workspace_copies.root / "episodes").iterdir()) == []


def _alive(box: DockerSandbox) -> None:
    assert box.exec("echo alive", 10).output == "alive\n"


def test_tests_run_and_grade_inside_the_container(sandbox: DockerSandbox, toy_task: Task) -> None:
    before = run_tests(toy_task, sandbox)
    apply_gold(toy_task, sandbox)
    after = run_tests(toy_task, sandbox)
    assert not before.resolved and after.resolved
    assert "+exports.add = (a, b) => a + b;" in final_patch(sandbox)


def _process_count(box: DockerSandbox) -> int:
    return int(box.exec("ls /proc | grep -c '^[0-9]'", 10).output)


def test_a_fork_bomb_is_contained(sandbox: DockerSandbox) -> None:
    started = time.monotonic()
    result = sandbox.exec("bomb() { bomb | bomb & }; bomb; sleep 3", 8)
    assert time.monotonic() - started < 15
    assert "fork: retry: Resource temporarily unavailable" in result.output  # the pids limit bit
    assert _process_count(sandbox) < 10  # init, sleep, and this probe
    _alive(sandbox)


def test_allocating_past_the_memory_limit_is_killed(sandbox: DockerSandbox) -> None:
    hog = "node -e 'const a = []; for (;;) a.push(Buffer.alloc(32 << 20, 1))'"
    result = sandbox.exec(hog, 60)
    assert not result.timed_out
    assert result.exit_code == 137, result  # SIGKILL from the kernel's OOM killer, not a failure of node's
    _alive(sandbox)


def test_an_endless_loop_is_stopped_at_the_timeout(sandbox: DockerSandbox) -> None:
    started = time.monotonic()
    result = sandbox.exec("while true; do :; done", 2)
    assert result.timed_out and result.exit_code is None
    assert time.monotonic() - started < 8
    _alive(sandbox)


def test_writing_two_gigabytes_is_stopped_by_the_file_size_cap(sandbox: DockerSandbox) -> None:
    result = sandbox.exec("head -c 2000000000 /dev/zero > big.bin", 60)
    assert result.exit_code != 0
    size = sandbox.exec("stat -c %s big.bin", 10).output.strip()
    assert int(size) <= 64 << 20
    _alive(sandbox)


def test_a_tcp_connection_cannot_leave_the_container(sandbox: DockerSandbox) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.setblocking(False)
        port = server.getsockname()[1]
        probe = (
            f"node -e \"require('net').connect({port}, '127.0.0.1')"
            ".on('connect', () => { console.log('CONNECTED'); process.exit(0) })"
            ".on('error', (e) => { console.log(e.code); process.exit(3) })\""
        )
        result = sandbox.exec(probe, 20)
        with pytest.raises(BlockingIOError):
            server.accept()
    assert result.exit_code == 3 and "CONNECTED" not in result.output
    interfaces = sandbox.exec("tail -n +3 /proc/net/dev | cut -d: -f1", 10).output.split()
    assert interfaces == ["lo"]
    _alive(sandbox)


def test_the_root_filesystem_is_read_only(sandbox: DockerSandbox) -> None:
    result = sandbox.exec("touch /usr/evil", 10)
    assert result.exit_code != 0 and "Read-only file system" in result.output


def test_the_workspace_survives_a_timed_out_command(sandbox: DockerSandbox) -> None:
    sandbox.workspace.write_file("notes.txt", "kept\n")
    assert sandbox.exec("sleep 60", 1).timed_out
    assert sandbox.exec("cat notes.txt", 10).output == "kept\n"


def test_background_children_do_not_outlive_their_command(sandbox: DockerSandbox) -> None:
    assert sandbox.exec("(sleep 2; touch survivor) & echo started", 10).output == "started\n"
    time.sleep(2.5)
    assert not (sandbox.workspace.root / "survivor").exists()


def test_reset_restores_the_base_state(sandbox: DockerSandbox) -> None:
    sandbox.workspace.write_file("src/add.js", "broken")
    sandbox.exec("touch made-inside", 10)
    sandbox.reset()
    assert sandbox.workspace.read_file("src/add.js", 1000, None, None) == "exports.add = (a, b) => a - b;\n"
    assert sandbox.exec("git status --porcelain", 10).output == ""


def test_a_link_made_inside_the_container_cannot_leak_host_files(sandbox: DockerSandbox) -> None:
    sandbox.exec("ln -s /etc/passwd leak && ln -s /work/node_modules mods", 10)
    from agentbench_ts.errors import ToolError

    with pytest.raises(ToolError, match="outside"):
        sandbox.workspace.read_file("leak", 1000, None, None)
    with pytest.raises(ToolError, match="outside"):
        sandbox.workspace.list_files("mods", 10)


_ORPHAN = """
import os, sys
from pathlib import Path
from agentbench_ts.sandbox.docker.client import docker_client
from agentbench_ts.sandbox.docker.sandbox import DockerSandbox
from agentbench_ts.sandbox.docker.workspace import WorkspaceCopies
client = docker_client()
copies = WorkspaceCopies(client, Path(sys.argv[2]))
box = DockerSandbox(client, sys.argv[1], workspaces=copies, name="toy/orphan")
print(box.container_id, flush=True)
os.kill(os.getpid(), 9)
"""


def test_gc_removes_what_a_killed_run_left_behind(docker_client, workspace_copies, toy_image: str) -> None:  # type: ignore[no-untyped-def]
    root = workspace_copies.root
    argv = [sys.executable, "-c", _ORPHAN, toy_image, str(root)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.returncode == -9, done.stderr
    leftover = done.stdout.strip()
    assert docker_client.containers.get(leftover).status == "running"
    assert len(list((root / "episodes").iterdir())) == 1
    with DockerSandbox(docker_client, toy_image, workspaces=workspace_copies, name="toy/alive") as alive:
        assert collect_garbage(docker_client, root) == (1, 1)
        assert docker_client.containers.get(alive.container_id).status == "running"
        assert alive.exec("echo alive", 10).output == "alive\n"
    assert not docker_client.containers.list(all=True, filters={"id": leftover})


def test_image_tags_follow_content(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "a.ts").write_text("1")
    recipe = ImageRecipe("agentbench/t", "FROM scratch\n", context={"repo": repo}, build_args={"X": "1"})
    tag = image_ref(recipe)
    assert image_ref(recipe) == tag and tag.startswith("agentbench/t:")
    (repo / "a.ts").write_text("2")
    assert image_ref(recipe) != tag
    other_args = ImageRecipe("agentbench/t", "FROM scratch\n", context={"repo": repo}, build_args={"X": "2"})
    assert image_ref(other_args) != image_ref(recipe)
    assert image_ref(ImageRecipe("agentbench/t", "FROM scratch\n", ref="fixed:name")) == "fixed:name"


def test_a_second_build_reuses_the_image(task_images, toy_task: Task, docker_client) -> None:  # type: ignore[no-untyped-def]
    from agentbench_ts.sandbox.docker.layers import TaskImages

    ref = task_images.image(toy_task.sandbox_spec())
    created = docker_client.images.get(ref).attrs["Created"]
    again = TaskImages(docker_client, task_images.config).image(toy_task.sandbox_spec())
    assert again == ref
    assert docker_client.images.get(ref).attrs["Created"] == created


def test_the_patch_is_the_episodes_change_whoever_owns_the_image_files(  # type: ignore[no-untyped-def]
    docker_client, workspace_copies, toy_image: str
) -> None:
    """An image whose setup left the tree dirty (a changed tracked file, a new one) and whose files
    belong to another user: the episode can write and index them, and its patch holds only its change."""
    import io

    from agentbench_ts.sandbox.base import workspace_diff

    dockerfile = (
        f"FROM {toy_image}\n"
        "RUN echo '// installed' >> /work/repo/src/add.js && echo 'lock' > /work/repo/lock.txt "
        "&& chown -R 1000:1000 /work/repo\n"
    )
    image, _ = docker_client.images.build(
        fileobj=io.BytesIO(dockerfile.encode()), network_mode="none", rm=True
    )
    with DockerSandbox(docker_client, image.id, workspaces=workspace_copies, name="toy/dirty") as box:
        assert workspace_diff(box) == ""  # the start state, dirty as it is, is the baseline
        assert box.workspace.read_file("src/add.js", 4000, None, None).endswith("// installed\n")
        box.workspace.write_file("src/add.js", FIXED_ADD)
        assert box.exec("touch made-in-container && echo ok", 10).output == "ok\n"
        patch = workspace_diff(box)
    assert "+exports.add = (a, b) => a + b;" in patch and "-// installed" in patch
    assert "lock.txt" not in patch and "made-in-container" in patch
    docker_client.images.remove(image.id, force=True)


def test_a_container_killed_from_outside_during_a_command_is_a_sandbox_error(
    sandbox: DockerSandbox,
    docker_client,  # type: ignore[no-untyped-def]
) -> None:
    """Not a command that failed (exit 137 read as failing tests, then a 'failed' episode): the harness
    broke, which the run records as a harness error and retries."""
    import threading

    from agentbench_ts.errors import SandboxError

    container = docker_client.containers.get(sandbox.container_id)
    killer = threading.Timer(1.0, container.kill)
    killer.start()
    try:
        with pytest.raises(SandboxError, match="died while running a command"):
            sandbox.exec("sleep 30", 60)
    finally:
        killer.cancel()


def test_closing_waits_out_a_daemon_that_does_not_answer_and_always_frees_the_workspace(
    docker_client,
    workspace_copies,
    toy_image: str,  # type: ignore[no-untyped-def]
) -> None:
    """During a daemon restart the container cannot be removed for a few seconds: close keeps asking,
    and the episode's workspace goes either way."""
    import requests

    box = DockerSandbox(docker_client, toy_image, workspaces=workspace_copies, name="toy/add")
    container = box._container
    assert container is not None
    real_remove, refusals = container.remove, [requests.exceptions.ConnectionError("daemon restarting")] * 2

    def remove(**kwargs: object) -> None:
        if refusals:
            raise refusals.pop()
        real_remove(**kwargs)

    container.remove = remove  # type: ignore[method-assign]
    box.close()
    assert not refusals and _our_containers(docker_client) == []
    assert list((workspace_copies.root / "episodes").iterdir()) == []
