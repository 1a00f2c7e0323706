"""Specs as the official harness finds them: a pull request's number picks the range registered for
it, else the plain spec; users' specs come in as plug-ins (a module by dotted path, or an installed
package's entry point); an instance records its language and the issues it resolves; a refusal says
what each run saw. The official registry (multi-swe-bench 1.1.2) is real data here."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mswe_fixture import CALC, ORG, make_repository, merged_commit, register

from agentbench_ts.errors import ConfigError, TaskDataError
from agentbench_ts.mswe import specs
from agentbench_ts.mswe.make_instance import (
    IssueText,
    PullRequestSource,
    closing_references,
    likely_cause,
    pull_request,
    read_issue_file,
    refusal,
)
from agentbench_ts.mswe.runs import MadeRecord
from agentbench_ts.mswe.specs import (
    create_instance,
    load_specs,
    registered_specs,
    select_spec,
    spec_language,
)

from conftest import install_package, mswe_specs_restored

BASE = "agentbench/base:test"  # specs here are only selected and instantiated, never built


@pytest.fixture
def registry() -> Iterator[dict[str, Any]]:
    """The spec registry, restored after the test (specs a test registers do not outlive it)."""
    with mswe_specs_restored() as found:
        yield found


def official(found: list[Any]) -> list[Any]:
    return [spec for spec in found if spec.module.startswith("multi_swe_bench.")]


def test_the_official_registry_counts_its_typescript_and_javascript_specs() -> None:
    found = [spec for spec in official(registered_specs()) if spec.language in ("typescript", "javascript")]
    assert len(found) == 418 and sum(spec.is_range for spec in found) == 361
    [prism] = [spec for spec in found if spec.key == "PrismJS/prism_1730_to_771"]
    assert (prism.low, prism.high, prism.language, prism.repo_key) == (771, 1730, "typescript", "prism")


def test_a_pull_request_gets_the_range_that_holds_its_number_else_the_plain_spec() -> None:
    assert select_spec("PrismJS", "prism", 1000).number_interval == "prism_1730_to_771"
    assert select_spec("PrismJS", "prism", 771).number_interval == "prism_1730_to_771"
    boundary = select_spec("PrismJS", "prism", 1730)  # two ranges share 1730: the later one
    assert boundary.number_interval == "prism_3374_to_1730"
    assert [spec.name for spec in boundary.others] == ["prism_1730_to_771"]
    plain = select_spec("PrismJS", "prism", 5000)
    assert plain.number_interval == "" and plain.spec.key == "PrismJS/prism"


def test_a_repository_with_only_ranges_names_them_when_none_holds_the_number() -> None:
    name = "powertools-lambda-typescript"
    assert (
        select_spec("aws-powertools", name, 1200).number_interval
        == "powertools_lambda_typescript_1365_to_1123"
    )
    with pytest.raises(TaskDataError, match=r"holds PR #5; registered: .*1087_to_1059 \(PRs 1059-1087\)"):
        select_spec("aws-powertools", name, 5)
    with pytest.raises(TaskDataError, match="no Multi-SWE-bench spec is registered for nobody/nothing"):
        select_spec("nobody", "nothing", 1)


def _register_calc_specs(*names: str) -> None:
    for name in names:
        register(BASE, CALC, name=name)


def test_specs_registered_by_a_test_are_chosen_by_range_plain_and_name(registry: dict[str, Any]) -> None:
    _register_calc_specs("calc", "calc_20_to_10", "calc_30_to_20")
    assert select_spec(ORG, "calc", 15).number_interval == "calc_20_to_10"
    assert select_spec(ORG, "calc", 20).number_interval == "calc_30_to_20"
    assert select_spec(ORG, "calc", 31).number_interval == ""
    assert select_spec(ORG, "calc", 15, name="calc").number_interval == ""  # --spec wins
    assert select_spec(ORG, "calc", 99, name="calc_20_to_10").number_interval == "calc_20_to_10"
    with pytest.raises(TaskDataError, match="no spec agentbench-test/calc_1_to_2 is registered"):
        select_spec(ORG, "calc", 15, name="calc_1_to_2")
    del registry[f"{ORG}/calc"]
    with pytest.raises(TaskDataError, match=r"calc_20_to_10 \(PRs 10-20\), calc_30_to_20 \(PRs 20-30\)"):
        select_spec(ORG, "calc", 31)


def test_a_record_with_an_interval_is_made_with_that_spec(registry: dict[str, Any], tmp_path: Path) -> None:
    _register_calc_specs("calc", "calc_20_to_10")
    parts = make_repository(tmp_path, CALC)
    repo, base, merged = merged_commit(parts, "Multiply in mul\n\nFixes #7 and closes #8")
    made = pull_request(PullRequestSource(repo, ORG, "calc", 15, base, merged))
    assert made.number_interval == "calc_20_to_10" and made.lang == "typescript"
    assert type(create_instance(made)) is registry[f"{ORG}/calc_20_to_10"]
    outside = pull_request(PullRequestSource(repo, ORG, "calc", 40, base, merged))
    assert outside.number_interval == "" and type(create_instance(outside)) is registry[f"{ORG}/calc"]
    assert [issue.number for issue in made.resolved_issues] == [7, 8]
    assert made.title == "Multiply in mul" and made.resolved_issues[0].title == ""


def test_issue_texts_come_from_the_user(registry: dict[str, Any], tmp_path: Path) -> None:
    _register_calc_specs("calc")
    parts = make_repository(tmp_path, CALC)
    repo, base, merged = merged_commit(parts, "Multiply in mul")
    source = PullRequestSource(repo, ORG, "calc", 3, base, merged, body="This fixes #12.")
    titled = pull_request(PullRequestSource(**{**source.__dict__, "issue_title": "mul is wrong"}))
    [issue] = titled.resolved_issues
    assert (issue.number, issue.title, issue.body) == (12, "mul is wrong", None)
    given = (IssueText(12, "from file", "body"), IssueText(40, "also", None))
    filed = pull_request(PullRequestSource(**{**source.__dict__, "issues": given}))
    assert [(i.number, i.title) for i in filed.resolved_issues] == [(12, "from file"), (40, "also")]
    unreferenced = PullRequestSource(**{**source.__dict__, "body": "", "issue_title": "which?"})
    with pytest.raises(TaskDataError, match="give --issue-number"):
        pull_request(unreferenced)
    numbered = pull_request(PullRequestSource(**{**unreferenced.__dict__, "issue_number": 5}))
    assert [(i.number, i.title) for i in numbered.resolved_issues] == [(5, "which?")]


def test_closing_references_follow_the_official_collector() -> None:
    text = "Fixes #12, closes #3 and Resolved #4; see #5\n<!-- fixes #9 -->\nfix #0\nFixed #12 again"
    assert closing_references(text) == [12, 3, 4]
    assert closing_references("fixes #1\nfixes #2") == [1, 2]  # the collector would keep only 2
    assert closing_references("prefix#7 Fixes#8") == []


def test_issue_files_are_githubs_json(tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"number": 12, "title": "mean is off", "body": None, "url": "x"}))
    assert read_issue_file(one) == [IssueText(12, "mean is off", None)]
    many = tmp_path / "many.json"
    many.write_text(json.dumps([{"number": 1, "title": "a", "body": "b"}, {"number": 2, "title": "c"}]))
    assert [issue.number for issue in read_issue_file(many)] == [1, 2]
    many.write_text(json.dumps([{"title": "no number"}]))
    with pytest.raises(TaskDataError, match='needs "number"'):
        read_issue_file(many)
    many.write_text("not json")
    with pytest.raises(TaskDataError, match="not an issue file"):
        read_issue_file(many)


def test_a_spec_says_its_language_or_the_record_must(registry: dict[str, Any], tmp_path: Path) -> None:
    official = registry["markedjs/marked"]
    assert spec_language(official) == "typescript"
    assert spec_language(registry["expressjs/express"]) == "javascript"
    _register_calc_specs("calc")
    assert spec_language(registry[f"{ORG}/calc"]) == "typescript"  # its class says so
    registry[f"{ORG}/calc"].language = None
    assert spec_language(registry[f"{ORG}/calc"]) == "unknown"  # defined in a test module
    parts = make_repository(tmp_path, CALC)
    repo, base, merged = merged_commit(parts, "Multiply")
    source = PullRequestSource(repo, ORG, "calc", 3, base, merged)
    with pytest.raises(TaskDataError, match="give --lang"):
        pull_request(source)
    assert pull_request(PullRequestSource(**{**source.__dict__, "lang": "javascript"})).lang == "javascript"


def test_spec_modules_that_do_not_load_are_config_errors(tmp_path: Path, registry: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="spec module 'no_such_specs' cannot be imported"):
        load_specs(["no_such_specs"])
    (tmp_path / "mswe_user_spec_broken.py").write_text("raise RuntimeError('half written')\n")
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(ConfigError, match="failed on import: RuntimeError: half written"):
            load_specs(["mswe_user_spec_broken"])
    finally:
        sys.path.remove(str(tmp_path))


def test_a_spec_module_registers_over_the_official_one(registry: dict[str, Any]) -> None:
    register(BASE, CALC, name="vitekit")  # stands for the spec written for another runner
    before = registry[f"{ORG}/vitekit"]
    load_specs(["mswe_user_spec"])
    after = registry[f"{ORG}/vitekit"]
    assert after is not before and after.language == "typescript"
    assert [s.module for s in registered_specs(f"{ORG}/vitekit")] == ["mswe_fixture"]


def _result(passed: set[str] = frozenset(), failed: set[str] = frozenset()) -> Any:  # type: ignore[assignment]
    from multi_swe_bench.harness.test_result import TestResult

    return TestResult(len(passed), len(failed), 0, set(passed), set(failed), set())


def _made(run: Any, test: Any, fix: Any) -> MadeRecord:
    from types import SimpleNamespace

    record = SimpleNamespace(run_result=run, test_patch_result=test, fix_patch_result=fix, f2p_tests={})
    return MadeRecord(record, {}, {})


@pytest.mark.parametrize(
    ("test", "fix", "cause"),
    [
        (_result({"a"}, {"new"}), _result(), "gave no test results"),
        (_result({"a"}), _result({"a", "file.ts > new 3ms"}), "never seen failing"),
        (_result({"a"}), _result({"a"}), "no test failed with the test patch alone"),
        (_result({"a"}, {"suite > new"}), _result({"a", "suite new 2ms"}), "never appear in the fix run"),
        (_result({"a"}, {"new"}), _result({"a"}, {"new"}), "still fail with the fix"),
    ],
)
def test_a_refusal_shows_each_stage_and_its_likely_cause(test: Any, fix: Any, cause: str) -> None:
    made = _made(_result({"a"}), test, fix)
    assert cause in likely_cause(made.record)
    source = PullRequestSource(Path("."), ORG, "calc", 3, "b", "m")
    text = refusal(made, source)
    assert text.startswith("agentbench-test/calc#3 has no fail-to-pass test")
    assert "passed in the run (1): 'a'" in text and cause in text
    assert f"failed with the test patch ({len(test.failed_tests)})" in text


def test_a_refusal_lists_at_most_a_few_names_per_stage() -> None:
    many = {f"test {index:02d}" for index in range(20)}
    text = refusal(
        _made(_result(many), _result(many), _result(many)),
        PullRequestSource(Path("."), ORG, "x", 1, "b", "m"),
    )
    assert "passed in the run (20): 'test 00'; " in text and "'test 07' (+12 more)" in text
    assert "'test 08'" not in text


def test_the_cli_lists_specs_with_their_ranges(
    capsys: pytest.CaptureFixture[str], registry: dict[str, Any]
) -> None:
    from agentbench_ts.cli.main import main

    assert main(["mswe", "specs", "list", "PrismJS/prism"]) == 0
    out = capsys.readouterr().out
    assert "PrismJS/prism_1730_to_771 (PRs 771-1730, typescript" in out and "PrismJS/prism (any PR" in out
    assert out.strip().endswith("3 spec(s): 1 plain, 2 for a range of pull requests")
    assert main(["mswe", "specs", "list"]) == 0
    assert "418 spec(s): 57 plain, 361 for a range of pull requests" in capsys.readouterr().out
    assert main(["mswe", "specs", "list", "nobody/nothing"]) == 1


def test_an_installed_package_declares_a_spec_by_entry_point(tmp_path: Path) -> None:
    site = install_spec_package(tmp_path)
    listed = subprocess.run(
        [sys.executable, "-m", "agentbench_ts.cli.main", "mswe", "specs", "list", f"{ORG}/vitekit"],
        env=plugin_env(site),
        capture_output=True,
        text=True,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert f"{ORG}/vitekit (any PR, typescript, mswe_fixture)" in listed.stdout


def install_spec_package(tmp_path: Path) -> Path:
    """A package, installed into the test's own site folder, whose entry point declares the user's
    vitekit spec (its module does not register it: only the entry point does)."""
    package = tmp_path / "pkg"
    (package / "agentbench_vitekit_spec").mkdir(parents=True)
    (package / "agentbench_vitekit_spec" / "__init__.py").write_text(
        "from mswe_fixture import user_vitekit_spec\n\nVitekitSpec = user_vitekit_spec()\n"
    )
    (package / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "agentbench-vitekit-spec"\nversion = "0.1"\n'
        '[project.entry-points."agentbench_ts.mswe_specs"]\n'
        f'"{ORG}/vitekit" = "agentbench_vitekit_spec:VitekitSpec"\n'
    )
    return install_package(package, tmp_path / "site")


def plugin_env(site: Path) -> dict[str, str]:
    import os

    tests = Path(__file__).parent
    return {**os.environ, "PYTHONPATH": f"{site}:{tests}"}


def _record(**fields: Any) -> Any:
    from types import SimpleNamespace

    return SimpleNamespace(
        **{"org": ORG, "repo": "calc", "number": 3, "number_interval": "", "tag": "", **fields}
    )


def test_a_records_spec_key_is_what_the_official_create_looks_up() -> None:
    assert specs.spec_key(_record()) == f"{ORG}/calc"
    assert specs.spec_key(_record(number_interval="calc_20_to_10", tag="1.2")) == f"{ORG}/calc_20_to_10"
    assert specs.spec_key(_record(tag="1.2.3")) == f"{ORG}/calc_1_2_3"


def test_a_user_spec_is_known_by_its_module(registry: dict[str, Any]) -> None:
    _register_calc_specs("calc")
    assert specs.user_spec_module(_record()) == "mswe_fixture"
    assert specs.user_spec_module(_record(org="markedjs", repo="marked")) is None  # the package's own
    assert (
        specs.user_spec_module(_record(repo="nothing")) is None
        and specs.spec_of(_record(repo="nothing")) is None
    )
    assert specs.spec_of(_record()) is registry[f"{ORG}/calc"]


def test_an_unregistered_spec_names_what_is_registered(registry: dict[str, Any]) -> None:
    _register_calc_specs("calc", "calc_20_to_10")
    with pytest.raises(TaskDataError) as refused:
        create_instance(_record(number_interval="calc_9_to_1"))
    assert str(refused.value) == (
        "agentbench-test/calc#3: no spec agentbench-test/calc_9_to_1 is registered; registered:"
        " calc (any PR), calc_20_to_10 (PRs 10-20); load the module that registers it (--spec-module)"
    )


def test_official_specs_are_made_as_the_official_harness_makes_them() -> None:
    from multi_swe_bench.harness.pull_request import Base, PullRequest

    pr = PullRequest("markedjs", "marked", 1, "closed", "t", "", Base("x", "main", "0" * 40), [], "", "")
    instance = create_instance(pr)
    config = instance.dependency().config
    assert (config.need_clone, config.global_env, config.clear_env) == (False, None, False)
    chain = specs.image_chain(instance)
    assert [type(image).__name__ for image in chain] == ["ImageBase", "ImageDefault"]
    assert chain[0].dependency() == "node:20" and chain[-1] is not chain[0]
    assert (
        "COPY marked /home/marked" in chain[0].dockerfile()
    )  # need_clone=False: the repository is copied in


def test_a_process_registered_spec_is_loaded_like_an_entry_point(registry: dict[str, Any]) -> None:
    from mswe_fixture import user_vitekit_spec

    spec = user_vitekit_spec()
    specs._LOADED.discard("")  # as in a fresh process
    specs.SPECS.register(f"{ORG}/entry")(spec)
    try:
        load_specs()
        assert registry[f"{ORG}/entry"] is spec
        specs._LOADED.discard("")
        specs.SPECS.register(f"{ORG}/not-a-spec")(lambda: None)
        with pytest.raises(
            ConfigError, match=r"mswe spec entry point 'agentbench-test/not-a-spec' is not an"
        ):
            load_specs()
        specs.SPECS.unregister(f"{ORG}/not-a-spec")
        specs._LOADED.discard("")
        specs.SPECS.register("no-slash")(spec)
        with pytest.raises(ConfigError, match=r"^mswe spec entry point 'no-slash': name it ORG/NAME"):
            load_specs()
    finally:
        for name in (f"{ORG}/entry", f"{ORG}/not-a-spec", "no-slash"):
            specs.SPECS.unregister(name)


def test_spec_modules_are_imported_once(registry: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "mswe_user_spec_counted.py").write_text(
        "import builtins\nbuiltins.agentbench_imports = getattr(builtins, 'agentbench_imports', 0) + 1\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        import builtins

        before = getattr(builtins, "agentbench_imports", 0)
        load_specs(["mswe_user_spec_counted"])
        load_specs(["mswe_user_spec_counted", "mswe_user_spec_counted"])
        assert builtins.agentbench_imports == before + 1  # type: ignore[attr-defined]
        assert "mswe_user_spec_counted" in specs._LOADED
    finally:
        sys.path.remove(str(tmp_path))


def test_a_declared_language_wins_over_the_folder() -> None:
    class Declared:
        __module__ = "multi_swe_bench.harness.repos.javascript.x"
        language = "TypeScript"

    class Lang:
        __module__ = "elsewhere"
        lang = "javascript"

    class Neither:
        __module__ = "elsewhere"
        language = ""
        lang = 3

    assert spec_language(Declared) == "typescript" and spec_language(Lang) == "javascript"
    assert spec_language(Neither) == "unknown"


def test_select_spec_refusals_say_what_to_do(registry: dict[str, Any]) -> None:
    _register_calc_specs("calc_20_to_10")
    with pytest.raises(TaskDataError) as refused:
        select_spec(ORG, "calc", 99)
    assert str(refused.value) == (
        "no Multi-SWE-bench spec of agentbench-test/calc holds PR #99; registered: calc_20_to_10"
        " (PRs 10-20); give one with --spec NAME, or register a spec for this range (--spec-module)"
    )
    with pytest.raises(TaskDataError) as refused:
        select_spec(ORG, "calc", 15, name="calc")
    assert str(refused.value) == (
        "no spec agentbench-test/calc is registered for agentbench-test/calc;"
        " registered: calc_20_to_10 (PRs 10-20)"
    )
    with pytest.raises(TaskDataError) as refused:
        select_spec(ORG, "nothing-here", 1)
    assert str(refused.value) == (
        "no Multi-SWE-bench spec is registered for agentbench-test/nothing-here: register an Instance"
        " subclass with multi_swe_bench.harness.instance.Instance.register (as the package's repos do) in a"
        " module given by --spec-module, or declare it in the agentbench_ts.mswe_specs entry-point group"
    )
    choice = select_spec(ORG, "calc", 99, name="calc_20_to_10")
    assert choice.spec.key == f"{ORG}/calc_20_to_10" and choice.others == ()


def test_a_plain_spec_is_the_repositorys_own_and_a_range_starting_at_zero_counts(
    registry: dict[str, Any],
) -> None:
    _register_calc_specs("calc_5_to_0", "calc_9_to_5", "calcx")
    assert select_spec(ORG, "calc", 0).number_interval == "calc_5_to_0"
    assert select_spec(ORG, "calc", 5).number_interval == "calc_9_to_5"
    with pytest.raises(TaskDataError, match="holds PR #10"):
        select_spec(ORG, "calc", 10)  # calcx is another repository's plain spec
    assert [spec.name for spec in registered_specs(f"{ORG}/calc")] == ["calc_5_to_0", "calc_9_to_5"]
    assert registered_specs("other-org/calc") == []
