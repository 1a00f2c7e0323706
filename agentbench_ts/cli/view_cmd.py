"""`agentbench view RUN [RUN ...]`: the trace viewer, as a static site (or served on 127.0.0.1)."""

from __future__ import annotations

import argparse
from pathlib import Path

from agentbench_ts.view.serve import site_server
from agentbench_ts.view.site import FIRST_PAGE_BOUND, build_site


def add_view_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    view = sub.add_parser(
        "view",
        help="write a static trace viewer for runs (opens from file://; two or more runs are compared)",
    )
    view.add_argument(
        "runs", nargs="+", type=Path, help="run directories, or folders of runs (an experiment)"
    )
    view.add_argument("--out", type=Path, help="the site's folder (default: RUN/view of the first run)")
    view.add_argument("--serve", action="store_true", help="then serve it on 127.0.0.1 until interrupted")
    view.add_argument("--port", type=int, default=8000, help="with --serve (0: any free port)")


def view_command(args: argparse.Namespace) -> int:
    out = args.out or args.runs[0] / "view"
    site = build_site(args.runs, out)
    print(
        f"{len(site.runs)} run(s), {site.episodes} episodes -> {(site.out / 'index.html').resolve().as_uri()}"
        f" (first page data {site.first_page_bytes} bytes; bound {FIRST_PAGE_BOUND})"
    )
    if args.serve:
        server = site_server(site.out, args.port)
        host, port = server.server_address[:2]
        print(f"serving on http://{host!s}:{port}/ (Ctrl-C stops)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    return 0
