"""The viewer in a real headless browser (Debian's chromium, driven by Selenium through chromium-driver):
the table, its filters, an episode's steps, the comparison, and an XSS corpus of model replies, tool
outputs, task ids and patches that must show as text and never run. Screenshots go to test-artifacts/."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from view_runs import DONE, READ, episode, step, write_run

from agentbench_ts.view.site import build_site

from conftest import REPO_ROOT, strict

ARTIFACTS = REPO_ROOT / "test-artifacts"
PWN = "window.__pwned=1"
IMG_ONERROR = f'<img src=x onerror="{PWN}">'
XSS = [
    f"<script>{PWN}</script>",
    f"</script><script>{PWN}</script>",
    '{"type":"final","status":"done","message":"</script><script>' + PWN + '</script>"}',
    IMG_ONERROR,
    f"<svg onload={PWN}>",
    f'<a href="javascript:{PWN}">click me</a>',
    '<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>',
    f'"]);{PWN};//',
    f"${{{PWN}}}",
    f"<style>@import 'x';</style><body onload={PWN}>",
    f"\u2028{PWN}\u2029",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:
        chromium = driver = None
        missing = str(exc)
    else:
        missing = "chromium and chromium-driver (apt)"
    if not chromium or not driver:
        if strict():
            pytest.fail(f"the browser tests need {missing}")
        pytest.skip(f"no {missing}")
    options = webdriver.ChromeOptions()
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
    ):
        options.add_argument(argument)
    options.binary_location = chromium
    session = webdriver.Chrome(options=options, service=Service(driver))
    try:
        yield session
    finally:
        session.quit()


def wait_for(condition: Callable[[], Any], timeout_s: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def open_page(browser: Any, path: Path, fragment: str = "") -> None:
    browser.get(path.resolve().as_uri() + fragment)
    wait_for(lambda: browser.execute_script("return !document.getElementById('status')"))


def css(browser: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(browser.find_elements(By.CSS_SELECTOR, selector))


def screenshot(browser: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def test_the_table_shows_every_episode_and_filters_narrow_it(browser: Any, tmp_path: Path) -> None:
    records = [
        episode(
            f"toy/task-{n:03d}",
            outcome="failed" if n % 5 == 0 else "resolved",
            steps=[step(0, "nope", parse_error="not_json")] if n % 7 == 0 else None,
        )
        for n in range(1230)  # three chunks of rows, loaded one after another
    ]
    site = build_site([write_run(tmp_path / "run", records)], tmp_path / "site")
    open_page(browser, site.out / "index.html")
    assert browser.current_url.endswith("run.html#r0")  # one run: straight to its page
    count = lambda: css(browser, "#row-count")[0].text  # noqa: E731
    assert wait_for(lambda: count() == "1230 episodes match"), count()
    assert len(css(browser, "tr.episode-row")) == 100  # one page of the table
    facts = dict(
        zip(
            (e.text for e in css(browser, "dl.facts dt")),
            (e.text for e in css(browser, "dl.facts dd")),
            strict=True,
        )
    )
    assert facts["resolved"].startswith("984 / 1,230 graded = 80.0% (95% CI 77.7%"), facts
    assert facts["episodes"] == "1,230 (1,230 attempts)"
    screenshot(browser, "view-run")
    from selenium.webdriver.support.ui import Select

    Select(css(browser, "#outcome-filter")[0]).select_by_value("failed")
    assert count() == "246 episodes match"
    assert {row.find_elements("css selector", "td")[2].text for row in css(browser, "tr.episode-row")} == {
        "failed"
    }
    Select(css(browser, "#parse-error-filter")[0]).select_by_value("with parse errors")
    assert count() == f"{len([n for n in range(0, 1230, 35)])} episodes match"
    Select(css(browser, "#outcome-filter")[0]).select_by_value("")
    Select(css(browser, "#parse-error-filter")[0]).select_by_value("")
    css(browser, "#search")[0].send_keys("task-12")
    assert count() == "40 episodes match"  # task-120 .. task-129 and task-1200 .. task-1229
    css(browser, "tr.episode-row a")[0].click()
    wait_for(lambda: css(browser, "li.step"))
    assert "toy/task-12" in css(browser, "h1")[0].text


def test_an_episode_page_shows_each_step_the_tool_output_and_the_patch(browser: Any, tmp_path: Path) -> None:
    steps = [
        step(0, "I will read it", parse_error="not_json"),
        step(
            1,
            '{"type":"tool_call","name":"read_file","args":{"rel_path":"src/a.ts"}}',
            action=READ,
            output="export const add = (a, b) => a - b;",
            truncated=True,
        ),
        step(2, '{"type":"final","status":"done","message":"fixed"}', action=DONE),
    ]
    patch = (
        "diff --git a/src/a.ts b/src/a.ts\n@@ -1 +1 @@\n"
        "-export const add = (a, b) => a - b;\n+export const add = (a, b) => a + b;\n"
    )
    site = build_site(
        [write_run(tmp_path / "run", [episode("toy/add", steps=steps, patch=patch)])], tmp_path / "site"
    )
    open_page(browser, site.out / "episode.html", "#r0/0")
    assert len(css(browser, "li.step")) == 3
    assert "not_json" in css(browser, ".parse-error")[0].text
    assert css(browser, ".truncated")[0].text.strip() == "(truncated)"
    assert "a - b" in css(browser, "pre.tool")[0].text
    assert [e.text for e in css(browser, "#patch .diff-add")] == ["+export const add = (a, b) => a + b;"]
    assert [e.text for e in css(browser, "#patch .diff-del")] == ["-export const add = (a, b) => a - b;"]
    screenshot(browser, "view-episode")


def hostile_runs(tmp_path: Path) -> list[Path]:
    def run(name: str, outcome: str) -> Path:
        records = [
            episode(
                f"toy/{n}-{payload}",
                outcome=outcome,
                instructions=payload,
                patch=f"+{payload}\n-{payload}\n",
                steps=[
                    step(0, payload, parse_error="not_json"),
                    step(
                        1,
                        payload,
                        action={"type": "final", "status": "done", "message": payload},
                        output=payload,
                    ),
                ],
            )
            for n, payload in enumerate(XSS)
        ]
        records.append(episode("toy/error", outcome="error"))
        return write_run(tmp_path / name, records, model=XSS[0])

    return [run("before", "failed"), run("after", "resolved")]


def test_no_reply_tool_output_or_task_id_runs_as_code(browser: Any, tmp_path: Path) -> None:
    site = build_site(hostile_runs(tmp_path), tmp_path / "site")
    pages = [("index.html", ""), ("run.html", "#r0"), ("run.html", "#r1"), ("compare.html", "")]
    pages += [("episode.html", f"#r{r}/{n}") for r in (0, 1) for n in range(len(XSS))]
    for page, fragment in pages:
        open_page(browser, site.out / page, fragment)
        time.sleep(0.05)  # an onerror/onload handler would have fired by now
        assert browser.execute_script("return window.__pwned") is None, (page, fragment)
        assert not css(browser, "iframe, img, svg, a[href^='javascript']"), (page, fragment)
        if page == "episode.html":
            body = css(browser, "main")[0].text
            n = int(fragment.split("/")[1])
            assert XSS[n].strip("\u2028\u2029") in body.replace("\u2028", "").replace("\u2029", "")
    open_page(browser, site.out / "compare.html")
    assert len(css(browser, "tr.task-row.change-gained")) == len(XSS)
    screenshot(browser, "view-xss-episode")


def test_the_corpus_does_run_in_a_page_that_trusts_its_data(browser: Any, tmp_path: Path) -> None:
    """The control: the same corpus in a copy of the viewer that writes data as HTML and has no CSP sets
    window.__pwned, so the test above can fail."""
    site = build_site(hostile_runs(tmp_path), tmp_path / "site")
    page = (site.out / "episode.html").read_text()
    (site.out / "episode.html").write_text(
        "\n".join(line for line in page.splitlines() if "Content-Security-Policy" not in line)
    )
    app = (site.out / "app.js").read_text()
    unsafe = app.replace(
        "node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));",
        "if (child instanceof Node) node.appendChild(child);"
        " else node.insertAdjacentHTML('beforeend', String(child));",
    )
    assert unsafe != app
    (site.out / "app.js").write_text(unsafe)
    open_page(browser, site.out / "episode.html", f"#r0/{XSS.index(IMG_ONERROR)}")
    assert wait_for(lambda: browser.execute_script("return window.__pwned"), 5) == 1
