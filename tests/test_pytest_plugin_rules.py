"""The pytest plugin's rules, in this process (pytester in-process, so each rule is seen where it runs):
where each option's value comes from, when items are collected, which sample a rerun records, what the
failure, harness-error and end-of-run reports say, which gold verdicts make a task flaky or broken,
which names become markers, and how an orphaned worker ends."""

from __future__ import annotations

import importlib
import io
import json
import sys
import threading
from pathlib import Path
from typing import Any, ClassVar, NoReturn

import pytest
from toy_suites import toy_suite
from view_runs import episode

from agentbench_ts.errors import ConfigError
from agentbench_ts.pytest_plugin import orphans, plugin
from agentbench_ts.pytest_plugin.gold import GOLD_FILE, GoldChecks
from agentbench_ts.pytest_plugin.items import RUN_KEY, failure_report
from agentbench_ts.pytest_plugin.options import requested, resolve_options
from agentbench_ts.pytest_plugin.plugin import _markers
from agentbench_ts.pytest_plugin.summary import RunReporter
from agentbench_ts.tasks.suite import load_suite
from agentbench_ts.traces.store import TraceStore
from agentbench_ts.verdicts import TestReport

pytest_plugins = ["pytester"]


@pytest.fixture
def suite(pytester: pytest.Pytester) -> Path:
    return toy_suite(pytester.path / "toy", pytester.path / "counter")


def inline(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:cacheprovider", *args)


# --- options -------------------------------------------------------------------------------------------


def options(pytester: pytest.Pytester, *args: str) -> Any:
    return resolve_options(pytester.parseconfig(*args))


def test_the_command_line_wins_over_the_ini_and_the_ini_over_pyproject(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml("[tool.agentbench]\nsamples = 2\nmodel = 'from-pyproject'\nseed = 7\n")
    pytester.makeini("[pytest]\nagentbench_samples = 3\nagentbench_model = from-ini\n")
    found = options(pytester, "--agentbench-samples", "4")
    assert (found.samples, found.model, found.seed) == (4, "from-ini", 7)
    assert options(pytester).samples == 3


def test_unset_options_keep_agentbench_runs_defaults_and_pytest_has_no_concurrency(
    pytester: pytest.Pytester,
) -> None:
    found = options(pytester)
    assert (found.samples, found.rerun_failed, found.gold_reruns, found.concurrency) == (1, False, 0, None)
    assert found.task == [] or found.task is None
    with pytest.raises(pytest.UsageError):
        pytester.parseconfig("--agentbench-concurrency", "2")


def test_pyproject_keys_may_use_dashes_and_lists_or_strings_for_repeated_flags(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyprojecttoml("[tool.agentbench]\nmax-steps = 9\ntask = 'one'\ntasks = ['a', 'b']\n")
    found = options(pytester)
    assert (found.max_steps, found.task, found.tasks) == (9, ["one"], ["a", "b"])


def test_the_ini_takes_lines_for_repeated_flags_and_booleans(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nagentbench_task =\n  one\n  two\nagentbench_rerun_failed = true\n")
    found = options(pytester)
    assert (found.task, found.rerun_failed) == (["one", "two"], True)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("samples = 'many'", r"\[tool\.agentbench\] in pyproject\.toml: samples = 'many' is not valid"),
        ("rerun_failed = 'yes'", r"rerun_failed = 'yes' is not valid \(true or false\)"),
        ("sampels = 2", r"unknown option\(s\) sampels"),
    ],
)
def test_bad_pyproject_values_are_usage_errors_that_name_them(
    pytester: pytest.Pytester, line: str, message: str
) -> None:
    pytester.makepyprojecttoml(f"[tool.agentbench]\n{line}\n")
    with pytest.raises(pytest.UsageError, match=message):
        options(pytester)


def test_a_pyproject_that_pytest_did_not_read_is_still_checked(pytester: pytest.Pytester) -> None:
    pytester.makefile(".ini", settings="[pytest]\n")
    pytester.makepyprojecttoml("[tool.agentbench]\nsamples = \n")
    with pytest.raises(pytest.UsageError, match=r"pyproject\.toml is not valid TOML"):
        options(pytester, "-c", "settings.ini", "--rootdir", str(pytester.path))


def test_a_bad_ini_value_names_the_ini_option(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nagentbench_samples = lots\n")
    with pytest.raises(
        pytest.UsageError, match=r"ini option agentbench_samples: samples = 'lots' is not valid"
    ):
        options(pytester)


def test_items_are_asked_for_on_the_command_line_or_with_the_flag_and_configured_tasks(
    pytester: pytest.Pytester,
) -> None:
    def asked(*args: str) -> bool:
        config = pytester.parseconfig(*args)
        return requested(config, resolve_options(config))

    assert asked("--agentbench-tasks", "suite:x") and asked("--agentbench-suite", "x")
    assert not asked() and not asked("--agentbench")
    pytester.makepyprojecttoml("[tool.agentbench]\ntasks = ['suite:x']\n")
    assert not asked() and asked("--agentbench")


def test_the_flag_without_configured_tasks_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = inline(pytester, "--agentbench")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --agentbench: no task sources in the ini or [[]tool.agentbench[]] (tasks = [[]...[]])"]
    )


def test_a_run_that_cannot_open_is_a_usage_error_that_says_why(pytester: pytest.Pytester) -> None:
    args = ["--agentbench-tasks", "suite:/no/such/suite", "--agentbench-model", "oracle"]
    result = inline(pytester, *args, "--agentbench-out", str(pytester.path / "run"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: agentbench: *no/such/suite*"])


def test_the_controller_reports_the_run_and_a_worker_watches_its_controller_instead(
    pytester: pytest.Pytester, suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ("--agentbench-tasks", f"suite:{suite}", "--agentbench-model", "oracle")
    args += ("--agentbench-out", str(pytester.path / "run"))
    controller = pytester.parseconfigure(*args)
    assert isinstance(controller.pluginmanager.get_plugin("agentbench-run-reporter"), RunReporter)
    watched: list[tuple[object, object]] = []
    watching = importlib.import_module(orphans.__name__)  # the one the plugin's import will find
    monkeypatch.setattr(watching, "exit_when_orphaned", lambda cancel, busy: watched.append((cancel, busy)))
    worker = pytester.parseconfig(*args)
    worker.workerinput = {"workerid": "gw0"}  # type: ignore[attr-defined]  (as xdist marks a worker)
    plugin.pytest_configure(worker)
    run = worker.stash[RUN_KEY]
    assert watched == [(run.cancel, run.busy)]
    assert worker.pluginmanager.get_plugin("agentbench-run-reporter") is None


def test_the_run_records_pytests_command_its_graders_and_tasks(
    pytester: pytest.Pytester, suite: Path
) -> None:
    args = ("--agentbench-tasks", f"suite:{suite}", "--agentbench-model", "oracle")
    args += ("--agentbench-out", str(pytester.path / "run"))
    run = pytester.parseconfigure(*args).stash[RUN_KEY]
    recorded = json.loads((pytester.path / "run" / "run.json").read_text())
    assert tuple(recorded["command"]) == run.config.command
    assert run.config.command[: len(args) + 1] == ("pytest", *args)  # (pytester adds --basetemp)
    assert run.graders and run.config.graders == {name: {} for name in run.graders}
    assert recorded["task_ids"] == [task.task_id for task in run.tasks] and len(run.tasks) > 1


def test_preparing_a_run_prepares_every_tasks_sandbox_with_the_runs_sandbox_config(
    pytester: pytest.Pytester, suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(What preparing does is the Docker sandbox's: images built once; here only what it is given.)"""
    calls: list[tuple[object, ...]] = []
    args = ("--agentbench-tasks", f"suite:{suite}", "--agentbench-model", "oracle")
    run = pytester.parseconfigure(*args, "--agentbench-out", str(pytester.path / "run")).stash[RUN_KEY]
    # the module the run's class came from (pytester may have imported it afresh)
    monkeypatch.setattr(sys.modules[type(run).__module__], "prepare_sandboxes", lambda *a: calls.append(a))
    run.prepare(plugin._log)
    assert calls == [(run.config.sandbox, [task.sandbox_spec() for task in run.tasks], plugin._log)]


def test_log_lines_go_whole_to_stderr_and_are_flushed(monkeypatch: pytest.MonkeyPatch) -> None:
    """(A worker's lines must show while its episode runs, not when its buffer fills.)"""

    class Stream(io.StringIO):
        flushes = 0

        def flush(self) -> None:
            self.flushes += 1
            super().flush()

    err, out = Stream(), Stream()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(sys, "stdout", out)
    plugin._log("building images")
    assert err.getvalue() == "building images\n" and err.flushes >= 1 and out.getvalue() == ""


# --- items and reports -----------------------------------------------------------------------------------


def test_recorded_items_come_from_the_store_and_reruns_take_the_next_free_sample(
    pytester: pytest.Pytester, suite: Path
) -> None:
    replies = pytester.path / "give-up.json"
    replies.write_text(json.dumps(['{"type":"final","status":"give_up","message":"no"}']))
    common = ["--agentbench-tasks", f"suite:{suite}", "--agentbench-task", "add", "--agentbench-out", "out"]
    common += ["--agentbench-samples", "2", "--agentbench-model", f"replay:{replies}"]
    inline(pytester, *common).assert_outcomes(failed=2)
    again = inline(pytester, *common)
    again.assert_outcomes(failed=2)
    again.stdout.fnmatch_lines(
        [
            "*items: 2: 0 ran now, 2 from the store (recorded earlier)*",
            "*a recorded pair is not run again; --agentbench-rerun-failed runs failures and harness errors*",
        ]
    )
    rerun = inline(pytester, *common, "--agentbench-rerun-failed")
    rerun.stdout.fnmatch_lines(["*items: 2: 2 ran now, 0 from the store (recorded earlier)*"])
    inline(pytester, *common, "--agentbench-rerun-failed")
    samples = sorted(e.sample_index for e in TraceStore(pytester.path / "out").episodes())
    assert samples == [0, 1, 2, 3, 4, 5]  # reruns of sample s are s + 2, s + 4: never a recorded one
    attempts = pytester.parseconfigure(*common).stash[RUN_KEY].attempts("toy/add", 0)
    assert [e.sample_index for e in attempts] == [0, 2, 4]  # sample 0 and its reruns, oldest first
    assert all(not e.messages and not e.steps for e in attempts)  # light: the store keeps them
    assert all(e.messages and e.steps for e in TraceStore(pytester.path / "out").episodes())


def test_a_resolved_item_is_not_rerun_when_failures_are(pytester: pytest.Pytester, suite: Path) -> None:
    common = ["--agentbench-tasks", f"suite:{suite}", "--agentbench-task", "add", "--agentbench-out", "out"]
    inline(pytester, *common, "--agentbench-model", "oracle").assert_outcomes(passed=1)
    result = inline(pytester, *common, "--agentbench-model", "oracle", "--agentbench-rerun-failed")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*items: 1: 0 ran now, 1 from the store*"])
    assert len(list(TraceStore(pytester.path / "out").attempts())) == 1


def test_a_harness_error_reports_what_broke_and_counts_apart(pytester: pytest.Pytester, suite: Path) -> None:
    result = inline(
        pytester, "--agentbench-tasks", f"suite:{suite}", "--agentbench-task", "add",
        "--agentbench-out", "out", "--agentbench-model", "oracle",
        "--agentbench-sandbox", "plugin_demo:broken_sandboxes",
    )  # fmt: skip
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*harness error, not a model failure (harness_error); left out of the resolved rate and of "
            "training data:*",
            "*SandboxError: the demo backend cannot start a sandbox*",
            f"*trace: {pytester.path / 'out' / 'episodes.jsonl'} (episode *",
            "*harness errors: 1 (harness_error 1): pytest errors, not failures; not in the resolved rate*",
        ]
    )
    assert "ran now" in result.stdout.str() and "a recorded pair is not run again" not in result.stdout.str()


def test_a_failure_report_counts_patch_files_and_keeps_the_last_test_lines() -> None:
    patch = "diff --git a/x b/x\n+1\ndiff --git a/y b/y\n-2\n"
    tail = "\n".join(f"line {n}" for n in range(20))
    tests = TestReport(
        resolved=False,
        exit_code=1,
        timed_out=False,
        tests={},
        missing=[],
        summary="3 of 4 passed",
        elapsed_s=1.0,
        output_tail=tail,
    )
    record = episode("t/a", 2, "budget", patch=patch).model_copy(update={"final_tests": tests})
    lines = failure_report(record, "WHERE").splitlines()
    assert lines[:3] == [
        "t/a sample 2: budget (max_steps) after 2 steps, 0 parse errors",
        f"patch: 2 file(s), {len(patch)} bytes",
        "last tests: 3 of 4 passed",
    ]
    assert lines[3:-1] == [f"  line {n}" for n in range(5, 20)] and lines[-1] == "WHERE"
    untested = episode("t/a", outcome="timeout").model_copy(update={"final_tests": None, "patch": ""})
    assert failure_report(untested, "W").splitlines()[1:] == [
        "patch: 0 file(s), 0 bytes",
        "last tests: not run",
        "W",
    ]


# --- gold checks -------------------------------------------------------------------------------------


def gold(
    tmp_path: Path, times: int, verdicts: dict[str, list[Any]], recorded_as: int | None = None
) -> GoldChecks:
    (tmp_path / GOLD_FILE).write_text(json.dumps({str(recorded_as or times): verdicts}))
    return GoldChecks(tmp_path, times)


def test_a_task_is_flaky_when_its_gold_verdicts_differ_and_errors_do_not_count(tmp_path: Path) -> None:
    checks = gold(
        tmp_path,
        3,
        {
            "t/flips": [True, False, True],
            "t/steady": [True, True, True],
            "t/error-among-passes": [True, "OSError: gone", True],
            "t/never": [False, False, False],
        },
    )
    assert checks.flaky() == {"t/flips": "flaky: the gold fix resolved it in 2 of 3 runs"}


def test_a_task_is_broken_when_its_gold_never_resolves_and_says_whether_it_got_a_verdict(
    tmp_path: Path,
) -> None:
    checks = gold(
        tmp_path,
        3,
        {
            "t/once": ["OSError: once", True, True],
            "t/never": [False, False, False],
            "t/errors": ["OSError: first", "OSError: second", "OSError: " + "x" * 300],
            "t/mixed": [False, "OSError: once", False],
        },
    )
    assert checks.broken() == {
        "t/never": "the gold fix resolved it in none of 3 runs",
        "t/errors": "the gold run never got a verdict: " + ("OSError: " + "x" * 300)[:200],
        "t/mixed": "the gold fix resolved it in none of 3 runs",
    }


def test_gold_verdicts_are_read_only_for_the_number_of_reruns_asked(tmp_path: Path) -> None:
    assert gold(tmp_path, 3, {"t/a": [True, False]}, recorded_as=2).verdicts() == {}
    assert GoldChecks(tmp_path, 0).verdicts() == {}
    assert GoldChecks(tmp_path / "none", 2).verdicts() == {}
    assert gold(tmp_path, 2, {"t/a": [True, False]}).verdicts() == {"t/a": [True, False]}


def test_gold_checks_run_each_task_k_times_once_and_keep_other_counts(
    pytester: pytest.Pytester, suite: Path
) -> None:
    result = inline(
        pytester, "--agentbench-tasks", f"suite:{suite}", "--agentbench-model", "oracle",
        "--agentbench-out", "out", "--agentbench-gold-reruns", "2",
    )  # fmt: skip
    checks = json.loads((pytester.path / "out" / GOLD_FILE).read_text())
    assert checks["2"]["toy/add"] == [True, True] and len(checks["2"]["toy/flaky"]) == 2
    result.stdout.fnmatch_lines(
        ["*flaky task toy/flaky: flaky: the gold fix resolved it in 1 of 2 runs (its items are xfail)*"]
    )
    runs = len(list(pytester.path.glob("counter.*")))
    inline(pytester, "--agentbench-tasks", f"suite:{suite}", "--agentbench-model", "oracle",
           "--agentbench-out", "out", "--agentbench-gold-reruns", "2")  # fmt: skip
    assert len(list(pytester.path.glob("counter.*"))) == runs  # checked once: not run again
    inline(pytester, "--agentbench-tasks", f"suite:{suite}", "--agentbench-model", "oracle",
           "--agentbench-out", "out", "--agentbench-gold-reruns", "3")  # fmt: skip
    again = json.loads((pytester.path / "out" / GOLD_FILE).read_text())
    assert again["2"] == checks["2"] and len(again["3"]["toy/add"]) == 3  # other counts are kept


def test_a_gold_run_that_breaks_is_recorded_as_the_error_and_the_check_is_announced(
    tmp_path: Path, suite: Path
) -> None:
    tasks = [task for task in load_suite(suite) if task.task_id == "toy/add"]

    def no_sandbox(spec: object) -> NoReturn:
        raise RuntimeError("the daemon is gone")

    logged: list[str] = []
    GoldChecks(tmp_path, 2).check(tasks, no_sandbox, {tasks[0].grader: None}, logged.append)  # type: ignore[dict-item]
    assert logged == ["agentbench: running the gold fix of 1 task(s) 2 times each ..."]
    assert json.loads((tmp_path / GOLD_FILE).read_text()) == {
        "2": {"toy/add": ["RuntimeError: the daemon is gone"] * 2}
    }


# --- markers and orphans ---------------------------------------------------------------------------------


def test_markers_are_the_source_the_suite_and_tags_that_are_valid_names() -> None:
    class Spec:
        name = "suite"

    class Task:
        def __init__(self, suite: str, tags: tuple[str, ...]) -> None:
            self.suite, self.tags = suite, tags

    class Run:
        by_source: ClassVar = [
            (Spec(), [Task("toy", ("arith", "has space", "9lives", "v1.2-x+y")), Task("other", ())], {})
        ]

    assert set(_markers(Run())) == {"suite", "toy", "arith", "v1.2-x+y", "other"}


def test_an_orphaned_worker_cancels_its_episode_and_exits_once_it_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parent = [100]
    monkeypatch.setattr(orphans.os, "getppid", lambda: parent[0])
    codes: list[int] = []
    exited = threading.Event()
    monkeypatch.setattr(orphans.os, "_exit", lambda code: (codes.append(code), exited.set()))
    cancel, busy = threading.Event(), threading.Event()
    busy.set()
    before = set(threading.enumerate())
    orphans.exit_when_orphaned(cancel, busy, poll_s=0.01)
    (watch,) = set(threading.enumerate()) - before
    assert watch.name == "agentbench-orphan-watch" and watch.daemon  # it never keeps a worker alive
    assert not cancel.wait(0.3)  # the parent is still there
    parent[0] = 1  # re-parented: the controller is gone
    assert cancel.wait(5)
    assert not exited.wait(0.3)  # the episode in flight has not stopped yet
    busy.clear()
    assert exited.wait(5) and codes == [1]


def test_a_worker_exits_after_an_episode_only_when_cancelled(monkeypatch: pytest.MonkeyPatch) -> None:
    codes: list[int] = []
    monkeypatch.setattr(orphans.os, "_exit", codes.append)
    cancel = threading.Event()
    orphans.exit_if_cancelled(cancel)
    assert codes == []
    cancel.set()
    orphans.exit_if_cancelled(cancel)
    assert codes == [1]


# --- fixtures ----------------------------------------------------------------------------------------------


def test_the_task_fixture_wants_one_task(pytester: pytest.Pytester, suite: Path) -> None:
    pytester.makepyfile(
        test_fixture=f"""
        import pytest
        from agentbench_ts.errors import ConfigError

        def test_one(agentbench_task):
            assert agentbench_task("suite:{suite}::toy/add").task_id == "toy/add"
            assert agentbench_task("suite:{suite}::toy/add") is agentbench_task("suite:{suite}::toy/add")
            with pytest.raises(ConfigError, match="names 2 tasks; name one: SPEC::TASK_ID"):
                agentbench_task("suite:{suite}")
        """
    )
    inline(pytester, "test_fixture.py").assert_outcomes(passed=1)
    assert ConfigError  # the fixture raises the package's own error type


# --- what pytest shows ---------------------------------------------------------------------------------


def inline_reports(pytester: pytest.Pytester, *args: str) -> list[pytest.TestReport]:
    reprec = pytester.inline_run("-p", "no:randomly", "-p", "no:cacheprovider", *args)
    return list(reprec.getreports("pytest_runtest_logreport"))


def test_every_run_flag_is_an_agentbench_option_with_its_help_and_an_ini_default(
    pytester: pytest.Pytester,
) -> None:
    from agentbench_ts.pytest_plugin.options import NOT_FOR_PYTEST, flag_parser

    text = " ".join(inline(pytester, "--help").stdout.str().split())
    assert "agentbench_ts: tasks as pytest items:" in text
    assert (
        "--agentbench collect the task items named in the ini or pyproject.toml ([tool.agentbench] tasks)"
        in text
    )
    for action in flag_parser()._actions:
        if not action.option_strings or action.dest in NOT_FOR_PYTEST:
            continue
        name = action.option_strings[0][2:]
        shown = f"--agentbench-{name}" + (f"={action.metavar}" if action.metavar else "")
        assert shown in text, shown
        if action.help:
            assert " ".join(action.help.split())[:40] in text, name
        assert f"agentbench_{action.dest} (" in text and f"the default of --agentbench-{name}" in text
    assert "--agentbench-gold-reruns=K first run each task's gold fix K times;" in text
    assert "--agentbench-rerun-failed run recorded failures and harness errors again, as new samples" in text
    assert "--agentbench-concurrency" not in text


def test_items_carry_their_episode_as_properties(pytester: pytest.Pytester, suite: Path) -> None:
    reports = inline_reports(
        pytester, "--agentbench-tasks", f"suite:{suite}", "--agentbench-task", "add",
        "--agentbench-out", "out", "--agentbench-model", "oracle",
    )  # fmt: skip
    [teardown] = [r for r in reports if r.when == "teardown"]
    [record] = list(TraceStore(pytester.path / "out").episodes())
    assert teardown.user_properties == [
        ("agentbench_task_id", "toy/add"),
        ("agentbench_sample_index", 0),
        ("agentbench_episode_id", record.episode_id),
        ("agentbench_outcome", "resolved"),
        ("agentbench_stop_reason", "final_done"),
        ("agentbench_steps", record.metrics.steps),
        ("agentbench_parse_errors", 0),
        ("agentbench_prompt_tokens", record.metrics.prompt_tokens),
        ("agentbench_completion_tokens", record.metrics.completion_tokens),
        ("agentbench_from_store", False),
    ]


def test_a_task_its_source_could_not_prepare_is_a_harness_error_that_says_why(
    pytester: pytest.Pytester,
) -> None:
    """(Sources such as Multi-SWE-bench skip a task whose image does not build; here a conftest adds
    such an item, as the plugin's collection does for a source's skipped tasks.)"""
    pytester.makeconftest(
        """
        from agentbench_ts.pytest_plugin.items import SkippedTaskItem

        def pytest_collection_modifyitems(session, config, items):
            items.append(SkippedTaskItem.from_parent(session, name="o/r:pr-1", reason="no image: exit 1"))
        """
    )
    pytester.makepyfile(test_nothing="def test_nothing(): pass")
    reports = inline_reports(pytester)
    [setup] = [r for r in reports if r.when == "setup" and r.nodeid.endswith("o/r:pr-1")]
    assert setup.failed and str(setup.longrepr) == (
        "harness error: the task could not be prepared: no image: exit 1"
    )
    assert setup.user_properties == [
        ("agentbench_task_id", "o/r:pr-1"),
        ("agentbench_outcome", "error"),
        ("agentbench_stop_reason", "not_prepared"),
    ]
    assert setup.location[0] == "o/r:pr-1"


def test_markers_say_where_items_come_from(pytester: pytest.Pytester, suite: Path) -> None:
    result = inline(
        pytester, "--agentbench-tasks", f"suite:{suite}", "--agentbench-out", "out",
        "--agentbench-model", "oracle", "--markers",
    )  # fmt: skip
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.suite: agentbench tasks from suite: sources",
            "@pytest.mark.toy: agentbench tasks of this suite",
            "@pytest.mark.arith: agentbench tasks with this tag",
            "@pytest.mark.unstable: agentbench tasks with this tag",
        ]
    )


def test_a_failed_episode_and_a_harness_error_read_as_their_reports(
    pytester: pytest.Pytester, suite: Path
) -> None:
    replies = pytester.path / "give-up.json"
    replies.write_text(json.dumps(['{"type":"final","status":"give_up","message":"no"}']))
    common = ["--agentbench-tasks", f"suite:{suite}", "--agentbench-task", "add", "--agentbench-out"]
    failed = inline_reports(pytester, *common, "out", "--agentbench-model", f"replay:{replies}")
    [call] = [r for r in failed if r.when == "call"]
    [record] = list(TraceStore(pytester.path / "out").episodes())
    where = f"trace: {(pytester.path / 'out' / 'episodes.jsonl').resolve()} (episode {record.episode_id})"
    assert str(call.longrepr) == failure_report(record, where)
    broken = inline_reports(
        pytester, *common, "broken", "--agentbench-model", "oracle",
        "--agentbench-sandbox", "plugin_demo:broken_sandboxes",
    )  # fmt: skip
    [setup] = [r for r in broken if r.when == "setup"]
    [error] = list(TraceStore(pytester.path / "broken").episodes())
    lines = str(setup.longrepr).splitlines()
    assert lines[0] == (
        "harness error, not a model failure (harness_error); left out of the resolved rate and of "
        "training data:"
    )
    assert lines[1:-1] == (error.error or "").strip().splitlines()[-15:]
    trace = (pytester.path / "broken" / "episodes.jsonl").resolve()
    assert lines[-1] == f"trace: {trace} (episode {error.episode_id})"


class Lines:
    """What a terminal reporter is asked to print (a stand-in for pytest's, which prints to a tty)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.sections: list[str] = []

    def section(self, title: str) -> None:
        self.sections.append(title)

    def write_line(self, line: str) -> None:
        self.lines.append(line)


def test_the_end_of_run_summary_counts_items_as_they_ended(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from view_runs import write_run

    from agentbench_ts.pytest_plugin.summary import RunReporter

    records = [
        episode("t/a"),
        episode("t/b", outcome="failed"),
        episode("t/c", outcome="error"),
        episode("t/d"),
    ]
    records[2] = records[2].model_copy(update={"stop_reason": "model_error"})
    store = TraceStore(write_run(tmp_path / "run", [*records, episode("t/not-this-session")]))
    checks = gold(tmp_path / "run", 2, {"t/a": [True, False], "t/d": [False, False]})
    reporter = RunReporter(SimpleNamespace(store=store, gold=checks))  # type: ignore[arg-type]

    def report(nodeid: str, when: str, **properties: object) -> None:
        props = [(f"agentbench_{key}", value) for key, value in properties.items()]
        reporter.pytest_runtest_logreport(SimpleNamespace(when=when, nodeid=nodeid, user_properties=props))  # type: ignore[arg-type]

    for record, from_store in zip(records, (False, True, False, False), strict=True):
        report(record.task_id, "call", outcome="ignored", episode_id="x")  # only teardown reports count
        report(
            record.task_id, "teardown", outcome=record.outcome, episode_id=record.episode_id,
            stop_reason=record.stop_reason, from_store=from_store,
        )  # fmt: skip
    report("t/e", "teardown", outcome="error", stop_reason="harness_error")  # a task not prepared
    out = Lines()
    reporter.pytest_terminal_summary(out)
    assert out.sections == ["agentbench"]
    summary = "\n".join(out.lines)
    assert "episodes         4" in summary and "resolved         2/3" in summary
    assert "items: 5: 3 ran now, 1 from the store (recorded earlier)" in summary
    assert "harness errors: 2 (harness_error 1, model_error 1): pytest errors, not failures" in summary
    assert "flaky task t/a: flaky: the gold fix resolved it in 1 of 2 runs (its items are xfail)" in summary
    assert "gold check t/d: the gold fix resolved it in none of 2 runs" in summary
    assert out.lines[-1] == f"traces: {store.episodes_path.resolve()}"
    empty = Lines()
    RunReporter(SimpleNamespace(store=store, gold=checks)).pytest_terminal_summary(empty)  # type: ignore[arg-type]
    assert empty.lines == [] and empty.sections == []
