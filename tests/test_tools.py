"""The file tools: behaviour, truncation, and refusal of hostile arguments."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentbench_ts.protocol.actions import ToolCall
from agentbench_ts.sandbox.local import LocalSandbox
from agentbench_ts.tasks.task import Task
from agentbench_ts.tools import HostWorkspace, ToolLimits, run_tool

from hostile_calls import HOSTILE_CALLS, SECRET, build_hostile_layout, snapshot


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    return build_hostile_layout(tmp_path)


@pytest.fixture(params=["local", pytest.param("docker", marks=pytest.mark.docker)])
def hostile_workspace(request: pytest.FixtureRequest, layout: Path) -> Iterator[HostWorkspace]:
    """The hostile layout as each backend serves it: a local copy, or a container's volume."""
    if request.param == "local":
        with LocalSandbox(layout, path_env="/usr/bin:/bin") as local:
            for name in ("outside", "repo-evil"):
                shutil.copytree(layout.parent / name, local.repo_path.parent / name)
            assert local.repo_path.name == "repo"  # the sibling's name starts with the root's
            yield local.workspace
        return
    from agentbench_ts.sandbox.docker.sandbox import DockerSandbox

    task = Task(
        task_id="hostile/layout",
        suite="hostile",
        instructions="-",
        repo_dir=layout,
        test_command="true",
        fail_to_pass=("-",),
    )
    image = request.getfixturevalue("task_images").image(task.sandbox_spec())
    client, copies = request.getfixturevalue("docker_client"), request.getfixturevalue("workspace_copies")
    with DockerSandbox(client, image, workspaces=copies, name=task.task_id) as box:
        assert box.workspace.root.name == "repo"  # the sibling's name starts with the root's
        copied = [box.workspace.root.parent / name for name in ("outside", "repo-evil")]
        for target in copied:
            shutil.copytree(layout.parent / target.name, target)
        try:
            yield box.workspace
        finally:
            for target in copied:
                shutil.rmtree(target)


@pytest.mark.parametrize(
    ("call", "reason"), [(c, r) for _, c, r in HOSTILE_CALLS], ids=[i for i, _, _ in HOSTILE_CALLS]
)
def test_hostile_call_is_refused_and_touches_nothing_outside(
    hostile_workspace: HostWorkspace, call: ToolCall, reason: str
) -> None:
    outside = hostile_workspace.root.parent / "outside"
    before = snapshot(outside)
    result = run_tool(hostile_workspace, call)
    assert not result.ok
    assert reason.lower() in result.output.lower()
    assert SECRET not in result.output
    assert snapshot(outside) == before
    assert not Path("/tmp/agentbench-evil.txt").exists()
    assert not (hostile_workspace.root / "big.txt").exists()


def test_listing_does_not_follow_a_symlinked_directory(layout: Path) -> None:
    result = run_tool(HostWorkspace(layout), ToolCall("list_files", {}))
    assert result.ok
    assert "secret.txt" not in result.output
    assert "src/a.ts" in result.output.splitlines()


def test_grep_of_the_root_never_reads_through_symlinks(layout: Path) -> None:
    result = run_tool(HostWorkspace(layout), ToolCall("grep", {"pattern": "SECRET"}))
    assert result.ok
    assert result.output == "(no matches)"


def test_symlink_inside_the_workspace_is_allowed(layout: Path) -> None:
    (layout / "alias.ts").symlink_to("src/a.ts")
    result = run_tool(HostWorkspace(layout), ToolCall("read_file", {"rel_path": "alias.ts"}))
    assert result.ok and result.output == "export const a = 1;\n"


def test_list_files_skips_git_and_node_modules(tmp_path: Path) -> None:
    for rel in [".git/HEAD", "node_modules/x/index.js", "src/b.ts", "README.md"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    result = run_tool(HostWorkspace(tmp_path), ToolCall("list_files", {}))
    assert result.output.splitlines() == ["README.md", "src/b.ts"]


def test_list_files_truncates_with_a_marker(tmp_path: Path) -> None:
    for i in range(12):
        (tmp_path / f"f{i:02}.ts").write_text("")
    result = run_tool(HostWorkspace(tmp_path), ToolCall("list_files", {"max_files": 5}))
    lines = result.output.splitlines()
    assert lines[:5] == ["f00.ts", "f01.ts", "f02.ts", "f03.ts", "f04.ts"]
    assert lines[5].startswith("[truncated:")


def test_read_file_line_range(tmp_path: Path) -> None:
    (tmp_path / "a.ts").write_text("".join(f"line {i}\n" for i in range(1, 11)))
    call = ToolCall("read_file", {"rel_path": "a.ts", "start_line": 3, "end_line": 5})
    assert run_tool(HostWorkspace(tmp_path), call).output == "line 3\nline 4\nline 5\n"


def test_read_file_max_chars_truncates_with_a_marker(tmp_path: Path) -> None:
    (tmp_path / "a.ts").write_text("abcdefghij" * 100)
    result = run_tool(HostWorkspace(tmp_path), ToolCall("read_file", {"rel_path": "a.ts", "max_chars": 25}))
    assert result.output.startswith("abcdefghij" * 2 + "abcde\n[truncated:")


def test_read_file_rejects_an_inverted_range(tmp_path: Path) -> None:
    (tmp_path / "a.ts").write_text("x\n")
    call = ToolCall("read_file", {"rel_path": "a.ts", "start_line": 5, "end_line": 2})
    assert not run_tool(HostWorkspace(tmp_path), call).ok


def test_read_missing_file_is_a_tool_error(tmp_path: Path) -> None:
    result = run_tool(HostWorkspace(tmp_path), ToolCall("read_file", {"rel_path": "nope.ts"}))
    assert not result.ok and "no such file" in result.output


def test_grep_reports_path_line_and_text(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.ts").write_text("const x = 1;\nfunction quicksort() {}\n")
    (tmp_path / "src" / "b.js").write_text("quicksort();\n")
    result = run_tool(HostWorkspace(tmp_path), ToolCall("grep", {"pattern": r"quick\w+", "glob": "*.ts"}))
    assert result.output == "src/a.ts:2: function quicksort() {}"


def test_grep_skips_binary_files(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(b"needle\x00\x01")
    (tmp_path / "a.txt").write_text("needle\n")
    result = run_tool(HostWorkspace(tmp_path), ToolCall("grep", {"pattern": "needle"}))
    assert result.output == "a.txt:1: needle"


def test_grep_stops_at_max_matches(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hit\n" * 20)
    result = run_tool(HostWorkspace(tmp_path), ToolCall("grep", {"pattern": "hit", "max_matches": 3}))
    lines = result.output.splitlines()
    assert len(lines) == 4 and lines[3].startswith("[truncated:")


def test_grep_gives_up_on_a_catastrophic_pattern(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a" * 30 + "!\n")
    workspace = HostWorkspace(tmp_path, ToolLimits(grep_timeout_s=0.5))
    result = run_tool(workspace, ToolCall("grep", {"pattern": r"(a|a)+$"}))
    assert not result.ok and "gave up" in result.output


def test_write_file_creates_parents_and_reports_bytes(tmp_path: Path) -> None:
    call = ToolCall("write_file", {"rel_path": "src/deep/new.ts", "content": "é\n"})
    result = run_tool(HostWorkspace(tmp_path), call)
    assert result.ok and result.output == "wrote 3 bytes to src/deep/new.ts"
    assert (tmp_path / "src" / "deep" / "new.ts").read_text() == "é\n"


def test_huge_tool_output_is_truncated_with_a_marker(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("y" * 50_000)
    result = run_tool(
        HostWorkspace(tmp_path), ToolCall("read_file", {"rel_path": "a.txt", "max_chars": 100000}), 1000
    )
    assert result.truncated
    assert len(result.output) < 1100 and "[truncated:" in result.output


GREP_PATTERNS = [
    "needle",
    r"need\w+",
    r"(?i)NEEDLE",
    r"ne+dle\b",
    r"^needle$",
    r"(needle|haystack)",
    r"x?needle(?=s)",
    r"[nN]eedle",
    r"\bneedles\b",
]


@pytest.mark.parametrize("pattern", GREP_PATTERNS)
@pytest.mark.parametrize("glob", [None, "*.ts", "deep/*.ts"])
def test_ripgrep_preselection_gives_exactly_the_python_results(
    tmp_path: Path, ripgrep: str, pattern: str, glob: str | None
) -> None:
    files = {
        "a.ts": "needle\nno\nneedles here\n",
        "b.js": "NEEDLE\n",
        "deep/c.ts": "xx needle yy\n",
        "deep/z/d.ts": "needles\n",
        "deep/e.txt": "haystack\n",
        ".hidden/f.ts": "needle\n",
        "node_modules/g.ts": "needle\n",
        ".git/h": "needle\n",
        "zz.ts": "nothing\n",
        "late.bin": "needle\n\x00binary",
    }
    for rel, content in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(content)
    (tmp_path / "linked.ts").symlink_to("a.ts")
    plain = run_tool(
        HostWorkspace(tmp_path),
        ToolCall("grep", {"pattern": pattern, "glob": glob} if glob else {"pattern": pattern}),
    )
    fast = HostWorkspace(tmp_path, ToolLimits(ripgrep=ripgrep))
    assert (
        run_tool(
            fast, ToolCall("grep", {"pattern": pattern, "glob": glob} if glob else {"pattern": pattern})
        ).output
        == plain.output
    )


def test_grep_really_asks_ripgrep_when_it_is_configured(tmp_path: Path, ripgrep: str) -> None:
    calls = tmp_path / "calls"
    spy = tmp_path / "rg-spy"
    spy.write_text(f'#!/bin/sh\necho called >> {calls}\nexec {ripgrep} "$@"\n')
    spy.chmod(0o755)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "a.ts").write_text("needle\n")
    result = run_tool(
        HostWorkspace(repo, ToolLimits(ripgrep=str(spy))), ToolCall("grep", {"pattern": "needle"})
    )
    assert result.output == "a.ts:1: needle"
    assert calls.read_text() == "called\n"
