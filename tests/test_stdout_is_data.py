"""Command output that is data is read from stdout alone, in both sandboxes: a start state whose CRLF
files make git warn on stderr at every `git add` still gives an empty patch when nothing changed, and
a test command's stderr cannot pass for a TAP line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agentbench_ts.sandbox.base import Sandbox, final_patch, workspace_diff
from agentbench_ts.sandbox.local import LocalSandbox
from agentbench_ts.tasks import run_tests
from agentbench_ts.tasks.task import Task

from conftest import ADD_TESTS, BUGGY_ADD, FIXED_ADD, write_tree

CRLF_WARNING = "CRLF will be replaced by LF"


def crlf_task(root: Path, test_command: str = "node --test --test-reporter=tap test/") -> Task:
    """The toy add task with Windows line endings and `* text=auto`: git warns about every file."""
    repo = write_tree(
        root / "repo",
        {
            ".gitattributes": "* text=auto\n",
            "src/add.js": BUGGY_ADD.replace("\n", "\r\n"),
            "test/add.test.js": ADD_TESTS.replace("\n", "\r\n"),
            "README.md": "# add\r\n",
        },
    )
    return Task(
        task_id="crlf/add",
        suite="crlf",
        instructions="Fix add.",
        repo_dir=repo,
        test_command=test_command,
        test_timeout_s=30,
        fail_to_pass=("adds small numbers",),
        pass_to_pass=("adding zero keeps the number",),
    )


def _open(kind: str, task: Task, request: pytest.FixtureRequest, path_env: str) -> Sandbox:
    if kind == "local":
        return LocalSandbox(task.repo_dir, path_env=path_env)
    from agentbench_ts.sandbox.docker.sandbox import DockerSandbox

    image = request.getfixturevalue("task_images").image(task.sandbox_spec())
    return DockerSandbox(
        request.getfixturevalue("docker_client"),
        str(image),
        workspaces=request.getfixturevalue("workspace_copies"),
        name=task.task_id,
    )


SANDBOXES = ["local", pytest.param("docker", marks=pytest.mark.docker)]


@pytest.fixture(params=SANDBOXES)
def crlf_box(request: pytest.FixtureRequest, tmp_path: Path, path_env: str) -> Iterator[Sandbox]:
    box = _open(request.param, crlf_task(tmp_path), request, path_env)
    try:
        yield box
    finally:
        box.close()


def test_the_crlf_start_state_makes_git_warn_on_stderr(crlf_box: Sandbox) -> None:
    """The condition itself: without it the next tests would prove nothing. (Touched first: git
    warns when it hashes a file again, as it does for the first `git add` of a fresh copy.)"""
    diff = "touch src/add.js README.md && git add -A && git diff --cached HEAD"
    merged = crlf_box.exec(diff, 30)
    assert merged.ok and CRLF_WARNING in merged.output
    apart = crlf_box.exec(diff, 30, separate_stderr=True)
    assert apart.ok and apart.output == "" and CRLF_WARNING in apart.stderr
    assert CRLF_WARNING in apart.log


def test_an_unchanged_workspace_gives_an_empty_patch(crlf_box: Sandbox) -> None:
    assert workspace_diff(crlf_box) == ""
    assert final_patch(crlf_box) == ""


def test_a_change_gives_the_diff_alone(crlf_box: Sandbox) -> None:
    crlf_box.workspace.write_file("src/add.js", FIXED_ADD)
    patch = workspace_diff(crlf_box)
    assert patch.startswith("diff --git a/src/add.js b/src/add.js\n")
    assert CRLF_WARNING not in patch and "+exports.add = (a, b) => a + b;" in patch


def test_streams_come_apart_only_when_asked(crlf_box: Sandbox) -> None:
    command = "printf 'out\\n'; printf 'err\\n' >&2; printf 'more\\n'"
    apart = crlf_box.exec(command, 30, separate_stderr=True)
    assert (apart.output, apart.stderr) == ("out\nmore\n", "err\n")
    assert apart.log == "out\nmore\nerr\n"
    merged = crlf_box.exec(command, 30)
    assert sorted(merged.output.splitlines()) == ["err", "more", "out"] and merged.stderr == ""


@pytest.mark.parametrize("kind", SANDBOXES)
def test_a_tap_line_on_stderr_is_not_a_test_result(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, path_env: str
) -> None:
    forged = "node --test --test-reporter=tap test/; echo 'ok 9 - forged on stderr' >&2"
    task = crlf_task(tmp_path, forged)
    box = _open(kind, task, request, path_env)
    try:
        report = run_tests(task, box)
    finally:
        box.close()
    assert "forged on stderr" not in report.tests
    assert report.tests["adding zero keeps the number"] == "pass"
    assert report.tests["adds small numbers"] == "fail" and not report.resolved
    assert "forged on stderr" in report.output_tail  # still shown to people
