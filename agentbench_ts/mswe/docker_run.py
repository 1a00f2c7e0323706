"""The instance's scripts (run.sh, test-run.sh, fix-run.sh) in containers of its image: `--network
none`, our limits, the fix patch mounted read-only where the instance expects it, and a timeout."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from agentbench_ts.plumbing.process import CommandResult
from agentbench_ts.sandbox.config import DockerLimits

SCRIPT_LABEL = "agentbench.mswe"


def run_script(
    client: Any,
    image: str,
    command: str,
    *,
    fix_patch: str,
    fix_patch_path: str,
    limits: DockerLimits,
    timeout_s: float,
) -> CommandResult:
    """Run `command` in a fresh container of `image`, offline, with `fix_patch` at `fix_patch_path`."""
    import requests  # noqa: PLC0415 (comes with docker)

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mswe-run-") as tmp:
        patch = Path(tmp) / "fix.patch"
        patch.write_text(fix_patch, encoding="utf-8")
        container = client.containers.run(
            image,
            ["bash", "-c", command],
            detach=True,
            network_mode="none",
            **limits.resources(),
            volumes={str(patch): {"bind": fix_patch_path, "mode": "ro"}},
            security_opt=["no-new-privileges"],
            labels={SCRIPT_LABEL: "1"},
        )
        try:
            try:
                exit_code: int | None = container.wait(timeout=timeout_s)["StatusCode"]
                timed_out = False
            except requests.exceptions.ConnectionError:
                container.kill()
                exit_code, timed_out = None, True
            raw = container.logs(stdout=True, stderr=True)
        finally:
            container.remove(force=True)
    log = raw.decode("utf-8", errors="replace")
    truncated = len(log) > limits.max_output_bytes
    if truncated:
        log = log[: limits.max_output_bytes // 2] + "\n[truncated]\n" + log[-limits.max_output_bytes // 2 :]
    return CommandResult(exit_code, log, "", timed_out, truncated, time.monotonic() - started)
