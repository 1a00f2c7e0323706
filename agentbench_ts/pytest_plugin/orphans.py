"""An xdist worker outlives its controller when the controller is killed (-9): it would go on running
and recording its queued items while a re-run records them again. A worker whose parent is gone
cancels its episode in flight (it stops at its next step and closes its sandbox; nothing is recorded)
and exits."""

from __future__ import annotations

import os
import threading
import time

GRACE_S = 60.0
"""How long an episode in flight may take to reach its next step before the worker exits anyway."""


def exit_when_orphaned(cancel: threading.Event, busy: threading.Event, poll_s: float = 0.5) -> None:
    """Watch the parent; once it is gone, cancel the episode in flight (`busy`) and exit when it has
    stopped, at the latest after GRACE_S."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        cancel.set()
        deadline = time.monotonic() + GRACE_S
        while busy.is_set() and time.monotonic() < deadline:
            time.sleep(0.1)
        os._exit(1)

    threading.Thread(target=watch, name="agentbench-orphan-watch", daemon=True).start()


def exit_if_cancelled(cancel: threading.Event) -> None:
    """After an episode: a worker whose controller is gone records nothing more and ends."""
    if cancel.is_set():
        os._exit(1)
