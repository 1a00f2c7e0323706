"""`agentbench view`: the static site's data (what each page loads), its size bound at 10,000 episodes,
escaping, the comparison matrix, and the CLI (also --serve on loopback)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from view_runs import DONE, READ, episode, step, write_run

from agentbench_ts.cli.main import main
from agentbench_ts.errors import AgentbenchError
from agentbench_ts.traces.store import TraceStore
from agentbench_ts.view.compare import comparison
from agentbench_ts.view.data import discover_runs
from agentbench_ts.view.site import FIRST_PAGE_BOUND, ROWS_PER_CHUNK, build_site

WRAPPER = re.compile(r'^window\.agentbenchView\.receive\(("[^"]*"),(.*)\);\n$', re.S)


def data(path: Path) -> tuple[str, Any]:
    match = WRAPPER.match(path.read_text())
    assert match, path.read_text()[:200]
    return json.loads(match.group(1)), json.loads(match.group(2))


def test_a_run_becomes_pages_a_summary_rows_and_one_file_per_episode(tmp_path: Path) -> None:
    run = write_run(
        tmp_path / "run",
        [
            episode("toy/a", outcome="resolved"),
            episode("toy/b", outcome="failed", steps=[step(0, "oops", parse_error="not_json")]),
            episode("toy/c", outcome="error", attempt=0),
            episode("toy/c", outcome="resolved", attempt=1),  # the retry counts
        ],
    )
    site = build_site([run], tmp_path / "site")
    for page in ("index", "run", "episode", "compare"):
        html = (site.out / f"{page}.html").read_text()
        assert f'data-page="{page}"' in html and "script-src 'self'" in html and "<script>" not in html
    assert (site.out / "app.js").is_file() and (site.out / "style.css").is_file()
    key, summary = data(site.out / "data" / "r0" / "run.js")
    assert key == "r0/run"
    assert (summary["episodes"], summary["attempts"], summary["resolved"], summary["graded"]) == (3, 4, 2, 3)
    assert summary["parse_error_kinds"] == {"not_json": 1}
    assert summary["stop_reasons"] == {"final_done": 2, "max_steps": 1}
    assert 0 < summary["ci95"][0] < 2 / 3 < summary["ci95"][1] <= 1
    _, rows = data(site.out / "data" / "r0" / "rows-0000.js")
    assert [(r["task"], r["outcome"], r["attempt"]) for r in rows["rows"]] == [
        ("toy/a", "resolved", 0),
        ("toy/b", "failed", 0),
        ("toy/c", "resolved", 1),
    ]
    _, detail = data(site.out / "data" / "r0" / "ep" / "1.js")
    assert detail["instructions"] == "Fix the bug."
    assert detail["steps"][0]["raw"] == "oops"
    assert detail["steps"][0]["parse_error"]["kind"] == "not_json"
    assert sorted(p.name for p in (site.out / "data" / "r0" / "ep").iterdir()) == ["0.js", "1.js", "2.js"]


def test_untrusted_text_cannot_end_the_script_or_escape_the_json(tmp_path: Path) -> None:
    hostile = '</script><script>window.__pwned=1</script>\u2028"]);window.__pwned=1;//<!--'
    run = write_run(
        tmp_path / "run",
        [
            episode(
                "toy/<img src=x onerror=alert(1)>", steps=[step(0, hostile, output=hostile)], patch=hostile
            )
        ],
    )
    site = build_site([run], tmp_path / "site")
    for path in (site.out / "data").rglob("*.js"):
        text = path.read_text()
        assert "<" not in text and "\u2028" not in text, path
        assert text.count("\n") == 1
    _, detail = data(site.out / "data" / "r0" / "ep" / "0.js")
    assert detail["steps"][0]["raw"] == hostile and detail["patch"] == hostile  # shown as it was written


def test_ten_thousand_episodes_build_and_the_first_page_stays_under_its_bound(tmp_path: Path) -> None:
    filler = "x" * 8_000  # about 10 KB per episode on disk: 10,000 episodes are about 100 MB of traces
    long_id = "org/" + "very-long-task-name-" * 30
    records = [
        episode(
            f"{long_id}{n % 700}",
            sample=n // 700,
            outcome="resolved" if n % 3 else "failed",
            steps=[step(0, filler, action=READ, output=filler), step(1, "{}", action=DONE)],
        )
        for n in range(10_000)
    ]
    run = write_run(tmp_path / "run", records)
    started = time.monotonic()
    site = build_site([run], tmp_path / "site")
    built_s = time.monotonic() - started
    assert site.episodes == 10_000
    assert site.first_page_bytes <= FIRST_PAGE_BOUND, site.first_page_bytes
    chunks = sorted((site.out / "data" / "r0").glob("rows-*.js"))
    assert len(chunks) == -(-10_000 // ROWS_PER_CHUNK)
    first = sum(
        p.stat().st_size
        for p in [site.out / "data" / "site.js", site.out / "data" / "r0" / "run.js", chunks[0]]
    )
    assert first == site.first_page_bytes
    assert sum(1 for _ in (site.out / "data" / "r0" / "ep").iterdir()) == 10_000
    print(f"10,000 episodes built in {built_s:.1f} s; first page data {first} bytes")


def _cells(result: dict[str, Any]) -> dict[str, str]:
    return {row["task"]: row["change"] for row in result["rows"]}


def test_the_comparison_marks_exactly_the_tasks_whose_outcome_changed() -> None:
    before = [
        episode("t/same-resolved"),
        episode("t/gained", outcome="failed"),
        episode("t/lost"),
        episode("t/other", outcome="failed"),
        episode("t/same-failed", outcome="failed"),
        episode("t/only-before"),
    ]
    after = [
        episode("t/same-resolved"),
        episode("t/gained"),
        episode("t/lost", outcome="failed"),
        episode("t/other", outcome="timeout"),
        episode("t/same-failed", outcome="failed"),
        episode("t/only-after", outcome="failed"),
    ]
    result = comparison(["before", "after"], [before, after])
    assert _cells(result) == {
        "t/gained": "gained",
        "t/lost": "lost",
        "t/other": "other",
        "t/same-resolved": "same",
        "t/same-failed": "same",
        "t/only-before": "same",
        "t/only-after": "same",
    }
    rates = {r["label"]: r for r in result["rates"]}
    assert (rates["before"]["resolved"], rates["after"]["resolved"]) == (3, 2)
    assert rates["after"]["delta"] == pytest.approx(2 / 6 - 3 / 6)


def test_samples_compare_by_their_resolved_share_and_three_runs_can_mix() -> None:
    one = [episode("t/x", 0), episode("t/x", 1, "failed"), episode("t/y", 0)]
    two = [episode("t/x", 0), episode("t/x", 1), episode("t/y", 0, "failed")]
    three = [episode("t/x", 0, "failed"), episode("t/x", 1, "failed"), episode("t/y", 0)]
    assert _cells(comparison(["1", "2"], [one, two])) == {"t/x": "gained", "t/y": "lost"}
    assert _cells(comparison(["1", "2", "3"], [one, two, three])) == {"t/x": "mixed", "t/y": "lost"}


def test_several_runs_or_an_experiment_folder_give_a_comparison(tmp_path: Path) -> None:
    write_run(tmp_path / "exp" / "rounds" / "r0" / "eval" / "held-out", [episode("t/a", outcome="failed")])
    write_run(tmp_path / "exp" / "rounds" / "r1" / "eval" / "held-out", [episode("t/a")])
    refs = discover_runs([tmp_path / "exp"])
    assert [r.label for r in refs] == ["rounds/r0/eval/held-out", "rounds/r1/eval/held-out"]
    site = build_site([tmp_path / "exp"], tmp_path / "site")
    _, matrix = data(site.out / "data" / "compare.js")
    assert matrix["labels"] == [r.label for r in refs]
    assert matrix["rows"][0]["change"] == "gained"
    _, listing = data(site.out / "data" / "site.js")
    assert listing["compare"] is True and [r["key"] for r in listing["runs"]] == ["r0", "r1"]


def test_a_folder_with_no_run_and_a_foreign_out_folder_are_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(AgentbenchError, match=r"no run\.json"):
        build_site([tmp_path / "empty"], tmp_path / "site")
    run = write_run(tmp_path / "run", [episode("t/a")])
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(AgentbenchError, match="holds no viewer site"):
        build_site([run], tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
    build_site([run], tmp_path / "site")
    build_site([run], tmp_path / "site")  # a rebuild replaces its own site


def test_the_cli_writes_the_site_and_serves_it_on_loopback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = write_run(tmp_path / "run", [episode("t/a")])
    assert main(["view", str(run), "--out", str(tmp_path / "site")]) == 0
    assert "file://" in capsys.readouterr().out
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agentbench_ts.cli.main",
            "view",
            str(run),
            "--out",
            str(tmp_path / "served"),
            "--serve",
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = ""
        while not url:
            line = server.stdout.readline()
            assert line, "the server ended"
            url = line.split("serving on ", 1)[1].split()[0] if "serving on " in line else ""
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "data/r0/run.js", timeout=10) as reply:
            assert "script-src 'self'" in reply.headers["Content-Security-Policy"]
            assert b'"episodes":1' in reply.read()
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert TraceStore(run).run_info().run_id == "run"  # the run itself is untouched
