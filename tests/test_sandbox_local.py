"""LocalSandbox: private copies, limits on commands, reset, cleanup."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from agentbench_ts.sandbox import LocalSandbox, final_patch
from agentbench_ts.tasks.task import Task

from conftest import write_tree


def _sandbox(tmp_path: Path, path_env: str) -> LocalSandbox:
    source = write_tree(tmp_path / "src-repo", {"src/a.ts": "export const a = 1;\n", ".gitignore": "dist/\n"})
    return LocalSandbox(source, path_env=path_env)


def test_the_sandbox_works_on_a_copy_and_never_changes_the_task(tmp_path: Path, path_env: str) -> None:
    with _sandbox(tmp_path, path_env) as sandbox:
        sandbox.workspace.write_file("src/a.ts", "export const a = 2;\n")
        assert (sandbox.repo_path / "src" / "a.ts").read_text() == "export const a = 2;\n"
    assert (tmp_path / "src-repo" / "src" / "a.ts").read_text() == "export const a = 1;\n"


def test_exec_runs_in_the_repository_root(tmp_path: Path, path_env: str) -> None:
    with _sandbox(tmp_path, path_env) as sandbox:
        result = sandbox.exec("cat src/a.ts; exit 3", timeout_s=10)
    assert result.exit_code == 3 and result.output == "export const a = 1;\n"


def test_a_command_past_its_timeout_is_killed_with_its_children(tmp_path: Path, path_env: str) -> None:
    marker = tmp_path / "survivor"
    with _sandbox(tmp_path, path_env) as sandbox:
        started = time.monotonic()
        result = sandbox.exec(f"(sleep 3; touch {marker}) & while true; do :; done", timeout_s=1)
        elapsed = time.monotonic() - started
    assert result.timed_out and result.exit_code is None
    assert elapsed < 2.5
    time.sleep(3)
    assert not marker.exists()


def test_background_children_do_not_outlive_a_finished_command(tmp_path: Path, path_env: str) -> None:
    marker = tmp_path / "survivor"
    with _sandbox(tmp_path, path_env) as sandbox:
        result = sandbox.exec(f"(sleep 2; touch {marker}) & echo started", timeout_s=10)
    assert result.ok and result.output == "started\n"
    time.sleep(2.5)
    assert not marker.exists()


def test_huge_output_keeps_head_and_tail_with_a_marker(tmp_path: Path, path_env: str) -> None:
    source = write_tree(tmp_path / "r", {"x": ""})
    with LocalSandbox(source, path_env=path_env, max_output_bytes=10_000) as sandbox:
        result = sandbox.exec("echo FIRST; head -c 50000000 /dev/zero | tr '\\0' y; echo; echo LAST", 30)
    assert result.truncated
    assert result.output.startswith("FIRST") and result.output.rstrip().endswith("LAST")
    assert "[truncated:" in result.output and len(result.output) < 11_000


def test_files_written_by_commands_are_capped(tmp_path: Path, path_env: str) -> None:
    with _sandbox(tmp_path, path_env) as sandbox:
        sandbox.exec("head -c 2000000000 /dev/zero > big.bin", timeout_s=60)
        assert (sandbox.repo_path / "big.bin").stat().st_size <= 1 << 30


def test_reset_restores_the_base_state(tmp_path: Path, path_env: str) -> None:
    with _sandbox(tmp_path, path_env) as sandbox:
        sandbox.workspace.write_file("src/a.ts", "broken")
        sandbox.workspace.write_file("new.ts", "x")
        sandbox.reset()
        assert sandbox.workspace.read_file("src/a.ts", 100, None, None) == "export const a = 1;\n"
        assert not (sandbox.repo_path / "new.ts").exists()
        assert final_patch(sandbox) == ""


def test_final_patch_holds_edits_and_new_files_but_not_ignored_ones(tmp_path: Path, path_env: str) -> None:
    with _sandbox(tmp_path, path_env) as sandbox:
        sandbox.workspace.write_file("src/a.ts", "export const a = 2;\n")
        sandbox.workspace.write_file("src/b.ts", "export const b = 1;\n")
        sandbox.workspace.write_file("dist/a.js", "built")
        patch = final_patch(sandbox)
    assert "-export const a = 1;" in patch and "+export const a = 2;" in patch
    assert "src/b.ts" in patch and "dist/a.js" not in patch


def test_close_removes_everything_and_is_idempotent(tmp_path: Path, path_env: str) -> None:
    sandbox = _sandbox(tmp_path, path_env)
    root = sandbox.repo_path.parent
    sandbox.close()
    sandbox.close()
    assert not root.exists()


def test_a_diff_git_cannot_take_is_an_error_not_an_empty_patch(js_task: Task, path_env: str) -> None:
    import shutil

    from agentbench_ts.errors import SandboxError
    from agentbench_ts.sandbox.base import workspace_diff

    with LocalSandbox(js_task.repo_dir, path_env=path_env) as box:
        box.workspace.write_file("src/add.js", "exports.add = (a, b) => a + b;\n")
        assert "+exports.add" in workspace_diff(box)
        shutil.rmtree(box.workspace.root / ".git")
        with pytest.raises(SandboxError, match="cannot take the workspace's diff"):
            workspace_diff(box)
        assert final_patch(box) == ""  # the trace's patch field stays as it was: empty
