"""A task's content digest changes with everything the episode is asked, starts from, is graded by
and is fixed with, and with nothing else (paths on this machine, .git, node_modules, split, tags)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from agentbench_ts.tasks.digest import task_digest
from agentbench_ts.tasks.task import Task

from conftest import make_js_task, write_tree


@pytest.fixture
def task(tmp_path: Path) -> Task:
    made = make_js_task(tmp_path / "one")
    write_tree(made.repo_dir, {"README.md": "# add\n", "lib/util.js": "exports.x = 1;\n"})
    return made


def _copy(task: Task, root: Path) -> Task:
    shutil.copytree(task.repo_dir, root / "repo", symlinks=True)
    if task.gold_dir is not None:
        shutil.copytree(task.gold_dir, root / "gold", symlinks=True)
    return task.model_copy(
        update={"repo_dir": root / "repo", "gold_dir": root / "gold" if task.gold_dir else None}
    )


def test_the_same_task_elsewhere_has_the_same_digest(task: Task, tmp_path: Path) -> None:
    moved = _copy(task, tmp_path / "elsewhere")
    assert task_digest(moved) == task_digest(task)
    changed = moved.model_copy(update={"split": "eval", "tags": ("x",), "toolchain_dir": tmp_path / "tool"})
    assert task_digest(changed) == task_digest(task)


def _edit(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _rename(path: Path, target: Path) -> None:
    path.rename(target)


EDITS: dict[str, Callable[[Task], Task | None]] = {
    "a repository file's content": lambda t: _edit(t.repo_dir / "lib/util.js", "exports.x = 2;\n"),
    "a repository file renamed": lambda t: _rename(t.repo_dir / "lib/util.js", t.repo_dir / "lib/util2.js"),
    "a repository file added": lambda t: _edit(t.repo_dir / "lib/new.js", ""),
    "a repository file deleted": lambda t: (t.repo_dir / "README.md").unlink(),
    "a gold file's content": lambda t: _edit(t.gold_dir / "src/add.js", "exports.add = (a, b) => b + a;\n"),  # type: ignore[operator]
    "a gold file added": lambda t: _edit(t.gold_dir / "src/other.js", "x"),  # type: ignore[operator]
    "no gold at all": lambda t: t.model_copy(update={"gold_dir": None}),
    "the instructions": lambda t: t.model_copy(update={"instructions": t.instructions + " Quickly."}),
    "the test command": lambda t: t.model_copy(update={"test_command": "node --test test/"}),
    "the fail-to-pass tests": lambda t: t.model_copy(update={"fail_to_pass": ("other",)}),
    "the pass-to-pass tests": lambda t: t.model_copy(update={"pass_to_pass": ()}),
    "the grader": lambda t: t.model_copy(update={"grader": "mswe"}),
    "the grader's data": lambda t: t.model_copy(update={"grader_data": {"instance": {"number": 2}}}),
    "the image": lambda t: t.model_copy(update={"image": "some/image:tag"}),
}


@pytest.mark.parametrize("what", sorted(EDITS))
def test_each_part_of_the_task_changes_the_digest(what: str, task: Task, tmp_path: Path) -> None:
    copy = _copy(task, tmp_path / "copy")
    changed = EDITS[what](copy) or copy
    assert task_digest(changed) != task_digest(task), what


def test_git_node_modules_and_empty_folders_do_not_count(task: Task, tmp_path: Path) -> None:
    copy = _copy(task, tmp_path / "copy")
    _edit(copy.repo_dir / ".git" / "HEAD", "ref: refs/heads/main\n")
    _edit(copy.repo_dir / "node_modules" / "x" / "index.js", "1")
    _edit(copy.repo_dir / "lib" / "node_modules" / "y" / "index.js", "2")  # nested too
    (copy.repo_dir / "empty" / "deeper").mkdir(parents=True)
    assert task_digest(copy) == task_digest(task)
    _edit(copy.repo_dir / "node_modules.js", "not a folder of modules")
    assert task_digest(copy) != task_digest(task)


def test_names_and_contents_cannot_trade_bytes(tmp_path: Path) -> None:
    one = make_js_task(tmp_path / "one")
    two = make_js_task(tmp_path / "two")
    _edit(one.repo_dir / "ab", "c")
    _edit(two.repo_dir / "a", "bc")
    assert task_digest(one) != task_digest(two)
    (one.repo_dir / "ab").unlink()
    _edit(one.repo_dir / "a", "bc")
    assert task_digest(one) == task_digest(two)


def test_a_link_counts_by_its_target(task: Task, tmp_path: Path) -> None:
    copy = _copy(task, tmp_path / "copy")
    (copy.repo_dir / "link.js").symlink_to("lib/util.js")
    linked = task_digest(copy)
    assert linked != task_digest(task)
    (copy.repo_dir / "link.js").unlink()
    (copy.repo_dir / "link.js").symlink_to("README.md")
    assert task_digest(copy) != linked
    (copy.repo_dir / "link.js").unlink()
    (copy.repo_dir / "link.js").write_text("lib/util.js")  # a file that holds the target's name
    assert task_digest(copy) != linked


def test_a_missing_repository_and_a_missing_gold_are_told_apart(task: Task, tmp_path: Path) -> None:
    no_gold = task.model_copy(update={"gold_dir": None})
    gone = task.model_copy(update={"gold_dir": tmp_path / "nowhere"})
    assert task_digest(no_gold) == task_digest(gone)  # a gold folder that is not there is no gold
    empty = tmp_path / "empty-gold"
    empty.mkdir()
    assert task_digest(task.model_copy(update={"gold_dir": empty})) != task_digest(no_gold)
    no_repo = task.model_copy(update={"repo_dir": tmp_path / "nothing"})
    assert task_digest(no_repo) != task_digest(task)
    assert len(task_digest(task)) == 64 and int(task_digest(task), 16) >= 0


def test_the_digest_of_a_known_task_stays_what_it_was(tmp_path: Path) -> None:
    """Runs record digests and a resume compares them: a harness that computed them another way
    would refuse every resume. A change here needs a note that old runs resume with
    --new-task-version."""
    task = make_js_task(tmp_path / "known")
    assert task_digest(task) == "0e339072ae840fa0330fd7970ab8fc070627dda9fc89555a89719436bbb69642"
    assert (
        task_digest(task.model_copy(update={"gold_dir": None}))
        == "9c916b31f40da002b6a26bb7d3fa0445ca912ce3352983ee9607b0b392f785f7"
    )


def test_a_link_out_of_the_repository_counts_by_its_name_not_by_what_it_points_at(
    task: Task, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("one")
    copy = _copy(task, tmp_path / "copy")
    (copy.repo_dir / "out.js").symlink_to(outside)
    (copy.repo_dir / "dangling.js").symlink_to(tmp_path / "nothing-here")
    before = task_digest(copy)
    outside.write_text("two")  # the repository holds the link, not the file
    assert task_digest(copy) == before
