"""The length guard: rows longer than the budget are dropped whole, never truncated."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from agentbench_ts.extract.report import ExtractionReport
from agentbench_ts.extract.tokens import TokenLengths

Row = TypeVar("Row")
BATCH = 512


def drop_long_rows(
    rows: Sequence[Row],
    conversations: Callable[[Row], Sequence[Sequence[dict[str, str]]]],
    tokenizer: Any,
    max_tokens: int,
    report: ExtractionReport,
) -> list[Row]:
    """Keep the rows whose every conversation renders to at most max_tokens tokens."""
    counter = TokenLengths(tokenizer)
    kept: list[Row] = []
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        shapes = [conversations(row) for row in batch]
        lengths = iter(counter.lengths([c for shape in shapes for c in shape]))
        for row, shape in zip(batch, shapes, strict=True):
            longest = max(next(lengths) for _ in shape)
            if longest > max_tokens:
                report.dropped["too_long"] += 1
            else:
                kept.append(row)
                report.token_lengths.append(longest)
    report.token_method = counter.method
    return kept
