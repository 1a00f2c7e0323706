"""Traces -> step-level SFT rows and DPO pairs as `datasets.DatasetDict`s with leak-free task splits.

Needs the `datasets` package (the `train` extra); the length guard also needs `transformers`. Names
are imported on first use, so `import agentbench_ts.extract` does not import `datasets`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentbench_ts.extract.api import (
        Extraction,
        ExtractOptions,
        LengthGuard,
        dpo,
        extract_dpo,
        extract_sft,
        sft,
    )
    from agentbench_ts.extract.corpus import Corpus, load_runs
    from agentbench_ts.extract.dataset import check_leakage
    from agentbench_ts.extract.dpo_pairs import DPO_SOURCES, DpoOptions
    from agentbench_ts.extract.export import write_extraction
    from agentbench_ts.extract.selection import TaskSelection
    from agentbench_ts.extract.sft_rows import SftFilters
    from agentbench_ts.extract.splits import SplitSpec

_WHERE = {
    "DPO_SOURCES": "dpo_pairs",
    "Corpus": "corpus",
    "DpoOptions": "dpo_pairs",
    "ExtractOptions": "api",
    "Extraction": "api",
    "LengthGuard": "api",
    "SftFilters": "sft_rows",
    "SplitSpec": "splits",
    "TaskSelection": "selection",
    "check_leakage": "dataset",
    "dpo": "api",
    "extract_dpo": "api",
    "extract_sft": "api",
    "load_runs": "corpus",
    "sft": "api",
    "write_extraction": "export",
}
__all__ = [
    "DPO_SOURCES",
    "Corpus",
    "DpoOptions",
    "ExtractOptions",
    "Extraction",
    "LengthGuard",
    "SftFilters",
    "SplitSpec",
    "TaskSelection",
    "check_leakage",
    "dpo",
    "extract_dpo",
    "extract_sft",
    "load_runs",
    "sft",
    "write_extraction",
]


def __getattr__(name: str) -> object:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
