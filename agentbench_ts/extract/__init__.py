"""Traces -> step-level SFT rows and DPO pairs as `datasets.DatasetDict`s with leak-free task splits.

Needs the `datasets` package (the `train` extra); the length guard also needs `transformers`.
"""

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
from agentbench_ts.extract.dpo import DPO_SOURCES, DpoOptions
from agentbench_ts.extract.export import write_extraction
from agentbench_ts.extract.selection import TaskSelection
from agentbench_ts.extract.sft import SftFilters
from agentbench_ts.extract.splits import SplitSpec

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
