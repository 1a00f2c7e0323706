"""`agentbench view`: writes a static site that opens from file:// with no server and no network.

Layout: the pages and their one script and style sheet (copied from `static/`), and `data/` of script
files that hand JSON to the page (`window.agentbenchView.receive(key, value)`; a page cannot fetch
files from file://). Per run: `run.js` (the summary), `rows-NNNN.js` (the episodes table, in chunks of
ROWS_PER_CHUNK, loaded one after another once the first is shown) and `ep/N.js` (one episode, loaded
when its page opens). The first page of a run therefore loads `site.js`, `run.js` and one chunk, whatever
the run's size: FIRST_PAGE_BOUND bounds that.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from agentbench_ts.errors import AgentbenchError
from agentbench_ts.traces.store import TraceStore
from agentbench_ts.view.compare import comparison
from agentbench_ts.view.data import RunRef, discover_runs, episode_detail, index_row, run_summary

ROWS_PER_CHUNK = 500
FIRST_PAGE_BOUND = 256 * 1024
"""Bytes of data the first page of a run loads (site.js + run.js + the first chunk of rows) at most,
for a run of any size (index rows hold no free text beyond a task id cut to INDEX_TEXT_LIMIT)."""
PAGES = ("index", "run", "episode", "compare")
"""Each is `page.html` with its name in: the script reads it and draws that page."""
ASSETS = ("app.js", "style.css")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'none'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'"
)
"""No inline script or style, nothing from anywhere but the site's own files, no network."""
MARKER = "agentbench-view.json"
"""Written in every site: a rebuild replaces only a folder that has it (or an empty one)."""


class ViewError(AgentbenchError):
    pass


@dataclass(frozen=True)
class Site:
    out: Path
    runs: list[RunRef]
    episodes: int
    first_page_bytes: int
    """The largest first-page data of its runs (see FIRST_PAGE_BOUND)."""


def build_site(paths: list[Path], out: Path) -> Site:
    runs = discover_runs(paths)
    _prepare(out)
    static = resources.files("agentbench_ts.view").joinpath("static")
    template = static.joinpath("page.html").read_text(encoding="utf-8")
    for page in PAGES:
        (out / f"{page}.html").write_text(template.format(csp=CSP, page=page), encoding="utf-8")
    for asset in ASSETS:
        (out / asset).write_bytes(static.joinpath(asset).read_bytes())
    data = out / "data"
    summaries, finals, first_pages = [], [], []
    for number, ref in enumerate(runs):
        key = f"r{number}"
        store = TraceStore(ref.path)
        info = store.run_info()
        attempts = 0
        last = {}
        for record in store.attempts():
            attempts += 1
            last[record.key] = record
        episodes = list(last.values())
        summary = run_summary(ref.label, info, episodes, attempts)
        summaries.append({"key": key, **{k: summary[k] for k in ("label", "model", "episodes", "resolved")}})
        folder = data / key
        (folder / "ep").mkdir(parents=True)
        sizes = [_write(folder / "run.js", f"{key}/run", summary)]
        rows = [index_row(n, record) for n, record in enumerate(episodes)]
        chunks = max(1, -(-len(rows) // ROWS_PER_CHUNK))
        for chunk in range(chunks):
            part = rows[chunk * ROWS_PER_CHUNK : (chunk + 1) * ROWS_PER_CHUNK]
            payload = {"chunk": chunk, "chunks": chunks, "total": len(rows), "rows": part}
            sizes.append(_write(folder / f"rows-{chunk:04d}.js", f"{key}/rows-{chunk}", payload))
        for n, record in enumerate(episodes):
            _write(folder / "ep" / f"{n}.js", f"{key}/ep/{n}", episode_detail(n, record))
        first_pages.append(sizes[0] + sizes[1])
        finals.append(episodes)
    site = {"runs": summaries, "compare": len(runs) > 1}
    site_bytes = _write(data / "site.js", "site", site)
    if len(runs) > 1:
        _write(data / "compare.js", "compare", comparison([r.label for r in runs], finals))
    (out / MARKER).write_text(json.dumps({"runs": [str(r.path) for r in runs]}, indent=2) + "\n")
    return Site(out, runs, sum(len(f) for f in finals), site_bytes + max(first_pages))


def _prepare(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise ViewError(f"{out} is not empty and holds no viewer site: choose another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def _write(path: Path, key: str, value: Any) -> int:
    """A script that hands `value` to the page. JSON is a JavaScript literal once U+2028/9 are escaped
    (ensure_ascii does) and `<` is escaped, so no data can end the script or become code."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":")).replace("<", "\\u003c")
    body = f"window.agentbenchView.receive({json.dumps(key)},{text});\n".encode()
    path.write_bytes(body)
    return len(body)
