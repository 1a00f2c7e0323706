"""Importing the library costs only what is used: optional extras load on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("module", "absent"),
    [
        ("agentbench_ts.extract", "datasets"),
        ("agentbench_ts.runner", "docker"),
        ("agentbench_ts.cli.main", "datasets"),
        ("agentbench_ts.cli.main", "torch"),
    ],
)
def test_an_import_leaves_optional_extras_unloaded(module: str, absent: str) -> None:
    probe = f"import sys, {module}; sys.exit(1 if {absent!r} in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", probe], check=False).returncode == 0


def test_extract_names_resolve_on_first_use() -> None:
    from agentbench_ts import extract
    from agentbench_ts.extract.dpo_pairs import DPO_SOURCES

    assert extract.DPO_SOURCES is DPO_SOURCES and callable(extract.sft) and callable(extract.dpo)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = extract.nope  # type: ignore[attr-defined]
