"""Warm `tsc` builds give the verdict of a cold `tsc -p . && node --test` on a fresh checkout: on every
bundled task at its base and gold state, and on a corpus of edits made after a warm build (a type
error, a deleted source that a test loads at run time, a renamed export, new files, a syntax error, an
edited test, a file outside src/, noEmitOnError with `;`, an infinite loop). A warm compiler that dies is
restarted or the build runs cold, and none outlives its sandbox."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from warm_corpus import BASE, EDITS, TEST_COMMAND, verdict, write

from agentbench_ts.sandbox.local import LocalSandbox
from agentbench_ts.tasks.suite import load_suite
from agentbench_ts.tasks.tap import parse_tap
from agentbench_ts.tasks.task import Task

from conftest import QUIXBUGS, write_tree

TOOLCHAIN = QUIXBUGS / "toolchain"


def sandbox(repo: Path, *, warm: bool) -> LocalSandbox:
    return LocalSandbox(repo, TOOLCHAIN, path_env=os.environ["PATH"], warm_tsc=warm)


@pytest.fixture
def own_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A shared-server folder of this test's own (other tests' sandboxes hold leases on the real one)."""
    from agentbench_ts.sandbox import local

    state = tmp_path / "warm-state"
    monkeypatch.setattr(local, "shared_state", lambda toolchain: state)
    return state


def server_pid(state: Path) -> int:
    return int((state / "server.pid").read_text())


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except OSError:
        return False
    return state not in "ZX"  # a zombie has ended; only its entry waits to be reaped


@pytest.mark.slow
@pytest.mark.parametrize("task", load_suite(QUIXBUGS), ids=lambda task: task.task_id.split("/")[-1])
def test_every_bundled_task_has_its_cold_verdicts_at_base_and_gold(task: Task) -> None:
    assert task.warm_tsc and task.test_command.startswith("tsc -p . &&")
    verdicts = {}
    for warm in (True, False):
        box = sandbox(task.repo_dir, warm=warm)
        try:
            base = box.exec(task.test_command, task.test_timeout_s, separate_stderr=True)
            write(box, dict(task.gold_files()))
            gold = box.exec(task.test_command, task.test_timeout_s, separate_stderr=True)
        finally:
            box.close()
        verdicts[warm] = (verdict(base), verdict(gold))
    assert verdicts[True] == verdicts[False]
    (_, at_base, _), (gold_exit, at_gold, _) = verdicts[True]
    assert gold_exit == 0 and any(status != at_gold.get(name) for name, status in at_base.items())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("corpus") / "repo", BASE)


@pytest.fixture(scope="module")
def warm_box(corpus: Path) -> Iterator[LocalSandbox]:
    box = sandbox(corpus, warm=True)
    yield box
    box.close()


@pytest.mark.slow
@pytest.mark.parametrize(
    "command", [TEST_COMMAND, TEST_COMMAND.replace(" && ", "; ")], ids=["and-then", "noEmitOnError-then-run"]
)
@pytest.mark.parametrize("edit", list(EDITS), ids=lambda name: name.replace(" ", "-"))
def test_an_edit_after_warm_builds_gets_the_fresh_checkouts_cold_verdict(
    corpus: Path, warm_box: LocalSandbox, edit: str, command: str
) -> None:
    timeout = 8.0
    warm_box.reset()
    before = warm_box.exec(command, timeout, separate_stderr=True)  # the outputs of the base state
    assert before.exit_code == 0 and len(parse_tap(before.output)) == 3
    write(warm_box, EDITS[edit])
    warm = warm_box.exec(command, timeout, separate_stderr=True)
    cold_box = sandbox(corpus, warm=False)
    try:
        write(cold_box, EDITS[edit])
        cold = cold_box.exec(command, timeout, separate_stderr=True)
    finally:
        cold_box.close()
    assert verdict(warm) == verdict(cold)
    if edit != "a fix after a break":
        assert verdict(warm) != verdict(before)


@pytest.mark.slow
def test_diagnostics_read_as_the_cold_compilers(corpus: Path) -> None:
    broken = {"src/math.ts": BASE["src/math.ts"] + 'const wrong: number = "x";\nlet unused: string = 3;\n'}
    outputs = []
    for warm in (True, False):
        box = sandbox(corpus, warm=warm)
        try:
            box.exec("tsc -p .", 60)  # a first build (the warm one starts its compiler here)
            write(box, broken)
            outputs.append(box.exec("tsc -p .", 60, separate_stderr=True))
        finally:
            box.close()
    warm, cold = outputs
    assert (warm.exit_code, warm.output) == (cold.exit_code, cold.output)
    assert "src/math.ts(4,7): error TS2322" in warm.output and warm.exit_code == 1


@pytest.mark.slow
def test_builds_the_server_does_not_do_run_cold_with_the_same_result(corpus: Path) -> None:
    box = sandbox(corpus, warm=True)
    try:
        version = box.exec("tsc --version", 60, separate_stderr=True)
        listed = box.exec("tsc -p . --listEmittedFiles", 60, separate_stderr=True)
        assert version.output.startswith("Version 5.") and version.exit_code == 0
        assert "TSFILE: " in listed.output and listed.exit_code == 0
    finally:
        box.close()


@pytest.mark.slow
def test_a_warm_compiler_that_dies_is_restarted_and_ends_after_its_last_sandbox(
    corpus: Path, own_server: Path
) -> None:
    box = sandbox(corpus, warm=True)
    try:
        first = box.exec(TEST_COMMAND, 60, separate_stderr=True)
        pid = server_pid(own_server)
        assert running(pid)
        os.kill(pid, signal.SIGKILL)
        write(box, EDITS["an edited test"])
        after = box.exec(TEST_COMMAND, 60, separate_stderr=True)
        restarted = server_pid(own_server)
        assert restarted != pid and running(restarted)
    finally:
        box.close()
    cold_box = sandbox(corpus, warm=False)
    try:
        write(cold_box, EDITS["an edited test"])
        cold = cold_box.exec(TEST_COMMAND, 60, separate_stderr=True)
    finally:
        cold_box.close()
    assert verdict(after) == verdict(cold) and verdict(first) != verdict(cold)
    deadline = time.monotonic() + 15  # its grace after the last lease, and a poll
    while running(restarted) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not running(restarted)


@pytest.mark.slow
def test_sandboxes_share_one_warm_compiler_that_outlives_none_of_them(corpus: Path, own_server: Path) -> None:
    first, second = sandbox(corpus, warm=True), sandbox(corpus, warm=True)
    try:
        assert first.exec(TEST_COMMAND, 60).exit_code == 0
        pid = server_pid(own_server)
        write(second, EDITS["a type error"])
        assert second.exec(TEST_COMMAND, 60).exit_code == 1 and server_pid(own_server) == pid
        first.close()
        time.sleep(7)  # past the grace: the second sandbox still holds a lease
        assert running(pid) and second.exec(TEST_COMMAND, 60).exit_code == 1
    finally:
        first.close()
        second.close()
    deadline = time.monotonic() + 15
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not running(pid)


@pytest.mark.slow
def test_a_lease_whose_holder_died_does_not_keep_the_compiler(corpus: Path, own_server: Path) -> None:
    box = sandbox(corpus, warm=True)
    try:
        assert box.exec(TEST_COMMAND, 60).exit_code == 0
        pid = server_pid(own_server)
        (own_server / "leases" / "killed-harness").write_text("999999999")  # no such process
    finally:
        box.close()
    deadline = time.monotonic() + 15
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not running(pid) and not (own_server / "leases" / "killed-harness").exists()


@pytest.mark.slow
def test_a_compiler_killed_while_it_starts_leaves_the_build_to_cold_tsc(
    corpus: Path, own_server: Path
) -> None:
    box = sandbox(corpus, warm=True)
    try:
        pid_file = own_server / "server.pid"
        killer = f"(while [ ! -s {pid_file} ]; do sleep 0.01; done; kill -9 $(cat {pid_file})) &"
        result = box.exec(f"{killer} {TEST_COMMAND}", 60, separate_stderr=True)
        assert result.exit_code == 0 and len(parse_tap(result.output)) == 3
        again = box.exec(TEST_COMMAND, 60, separate_stderr=True)
        assert verdict(again)[:2] == verdict(result)[:2] and running(server_pid(own_server))
    finally:
        box.close()


def last_build(state: Path) -> dict[str, object]:
    return json.loads((state / "last-build.json").read_text())


@pytest.mark.slow
def test_a_project_in_another_folder_reuses_the_parsed_declarations_unless_parsing_options_differ(
    tmp_path: Path, own_server: Path
) -> None:
    """The parse cache is keyed by the options a parse depends on, not by the project's paths (outDir,
    rootDir and the config's own path differ per sandbox): a second project parses only its own files.
    A changed `target` parses everything again; a changed `strict` (a check, not a parse) does not."""
    first_repo = write_tree(tmp_path / "first", BASE)
    strict_off = BASE["tsconfig.json"].replace('"strict": true', '"strict": false')
    other_target = BASE["tsconfig.json"].replace('"target": "ES2022"', '"target": "ES2020"')
    assert strict_off != BASE["tsconfig.json"] and other_target != BASE["tsconfig.json"]
    own_files = sum(1 for rel in BASE if rel.endswith(".ts"))
    boxes = [sandbox(first_repo, warm=True)]
    try:
        assert boxes[0].exec("tsc -p .", 60).exit_code == 0
        declarations = last_build(own_server)["parsed"]
        assert isinstance(declarations, int) and declarations > 50 + own_files  # lib and @types/node
        for config, parsed in (
            (BASE["tsconfig.json"], own_files),
            (strict_off, own_files),
            (other_target, None),
        ):
            repo = write_tree(tmp_path / f"repo{len(boxes)}", {**BASE, "tsconfig.json": config})
            boxes.append(sandbox(repo, warm=True))
            assert boxes[-1].exec("tsc -p .", 60).exit_code == 0
            build = last_build(own_server)
            assert build["config"] == str((boxes[-1].workspace.root / "tsconfig.json").resolve())
            if parsed is None:
                assert build["reused"] == 0 and build["parsed"] > 50 + own_files  # its own lib files
            else:
                assert build["parsed"] == parsed and build["reused"] == declarations - own_files
    finally:
        for box in boxes:
            box.close()
