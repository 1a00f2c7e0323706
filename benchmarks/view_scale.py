"""The viewer at 10,000 episodes (about 100 MB of traces): how long the site takes to build, how much
data the first page loads, and how soon the episodes table is usable in headless chromium, against a
baseline measured in the same run: the same site with every row in one file (no chunks).

    python benchmarks/view_scale.py --episodes 10000

Needs chromium and chromium-driver (apt) and selenium (the dev extra).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from view_runs import DONE, READ, episode, step, write_run

from agentbench_ts.view import site as site_module
from agentbench_ts.view.site import build_site


def make_run(root: Path, episodes: int) -> Path:
    filler = "export const x = 1;\n" * 220  # about 10 KB a record: its reply and tool output, as JSON
    records = [
        episode(
            f"org/repo-{n % 500}",
            sample=n // 500,
            outcome="resolved" if n % 3 else "failed",
            steps=[step(0, filler, action=READ, output=filler), step(1, "{}", action=DONE)],
        )
        for n in range(episodes)
    ]
    return write_run(root / "run", records)


def embed_episodes(site: Path, episodes: int) -> None:
    """Rewrites the one rows file with each episode's whole detail in its row."""
    path = site / "data" / "r0" / "rows-0000.js"
    prefix, _, rest = path.read_text().partition(",")
    payload = json.loads(rest.rstrip().removesuffix(");"))
    for row in payload["rows"]:
        detail = (site / "data" / "r0" / "ep" / f"{row['n']}.js").read_text()
        row["detail"] = json.loads(detail.partition(",")[2].rstrip().removesuffix(");"))
    path.write_text(f"{prefix},{json.dumps(payload)});\n")


def browser() -> Any:
    from selenium import webdriver  # noqa: PLC0415
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium") or "chromium"
    return webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver") or "chromedriver"))


def time_to_table(driver: Any, site: Path, total: int) -> tuple[float, float]:
    """Seconds from navigation until the table first shows rows, and until it holds every row (the
    filters then see all): the page's own performance marks."""
    driver.get((site / "run.html").resolve().as_uri() + "#r0")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        marks = driver.execute_script(
            "return ['agentbench:first-rows', 'agentbench:all-rows']"
            ".map((name) => performance.getEntriesByName(name).map((m) => m.startTime)[0] ?? null);"
        )
        if None not in marks:
            return marks[0] / 1000, marks[1] / 1000
        time.sleep(0.02)
    raise RuntimeError(f"the table did not load {total} rows in 120 s")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--episodes", type=int, default=10_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/agentbench-view-scale"))
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    run = make_run(args.work, args.episodes)
    traces_mb = (run / "episodes.jsonl").stat().st_size / 1e6
    started = time.monotonic()
    chunked = build_site([run], args.work / "chunked")
    build_s = time.monotonic() - started
    site_module.ROWS_PER_CHUNK = args.episodes  # a baseline: all rows in one file
    whole = build_site([run], args.work / "whole")
    everything = build_site([run], args.work / "everything")
    embed_episodes(everything.out, args.episodes)  # the naive viewer: every episode whole, at once
    driver = browser()
    try:
        time_to_table(driver, chunked.out, args.episodes)  # warm the browser
        ours = time_to_table(driver, chunked.out, args.episodes)
        base = time_to_table(driver, whole.out, args.episodes)
        naive = time_to_table(driver, everything.out, args.episodes)
    finally:
        driver.quit()
    naive_mb = (everything.out / "data" / "r0" / "rows-0000.js").stat().st_size / 1e6
    print(f"{args.episodes} episodes, {traces_mb:.0f} MB of traces; site built in {build_s:.1f} s")
    print(
        f"first page data: {chunked.first_page_bytes} bytes chunked vs {whole.first_page_bytes} in one file"
        f" ({whole.first_page_bytes / chunked.first_page_bytes:.1f}x less;"
        f" bound {site_module.FIRST_PAGE_BOUND})"
    )
    print(
        f"first rows shown: {ours[0]:.2f} s chunked vs {base[0]:.2f} s in one file"
        f" ({base[0] / ours[0]:.1f}x sooner)"
    )
    print(
        f"first rows shown with every episode in the page ({naive_mb:.0f} MB): {naive[0]:.2f} s"
        f" ({naive[0] / ours[0]:.1f}x later than chunked)"
    )
    print(
        f"every row loaded: {ours[1]:.2f} s chunked vs {base[1]:.2f} s in one file ({base[1] / ours[1]:.2f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
