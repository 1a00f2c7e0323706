"""Research-code use of the extractor: runs in, SFT and DPO `DatasetDict`s out.

python examples/extract_datasets.py traces/example-oracle
(first: python examples/run_oracle.py traces/example-oracle)
"""

from __future__ import annotations

import sys
from pathlib import Path

from agentbench_ts.extract import (
    ExtractOptions,
    SftFilters,
    SplitSpec,
    TaskSelection,
    extract_dpo,
    extract_sft,
)


def main(run_dirs: list[Path]) -> None:
    options = ExtractOptions(TaskSelection(SplitSpec.parse("train=0.8,eval=0.2", salt="example")))
    sft = extract_sft(run_dirs, SftFilters(require_success=True, dedupe=True), options)
    print(sft.dataset)
    print("dropped:", dict(sft.report.dropped))
    dpo = extract_dpo(run_dirs, options=options)
    print(dpo.dataset)
    print("pairs per source:", dict(dpo.report.per_source))


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]] or [Path("traces/example-oracle")])
