"""`agentbench view --serve`: the site over HTTP on 127.0.0.1 (loopback only), with the same
Content-Security-Policy the pages carry, sent as a header too."""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from agentbench_ts.view.site import CSP


class _Handler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def site_server(site: Path, port: int = 0) -> ThreadingHTTPServer:
    """A server of `site` on 127.0.0.1:`port` (0: any free port); call serve_forever() on it."""
    handler = functools.partial(_Handler, directory=str(site))
    return ThreadingHTTPServer(("127.0.0.1", port), handler)
