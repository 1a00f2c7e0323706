"""What an extraction kept and dropped, and why: the numbers behind the dataset card."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from agentbench_ts.extract.corpus import TraceInput


@dataclass
class ExtractionReport:
    kind: str
    inputs: tuple[TraceInput, ...]
    options: dict[str, Any]
    candidates: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    per_split: dict[str, int] = field(default_factory=dict)
    per_source: Counter[str] = field(default_factory=Counter)
    token_lengths: list[int] = field(default_factory=list)
    token_method: str | None = None

    @property
    def kept(self) -> int:
        return sum(self.per_split.values())

    def summary(self) -> dict[str, Any]:
        """Everything but the per-row lengths, as plain JSON values."""
        return {
            "kind": self.kind,
            "inputs": [asdict(i) for i in self.inputs],
            "options": self.options,
            "candidates": self.candidates,
            "kept": self.kept,
            "dropped": dict(self.dropped),
            "per_split": self.per_split,
            "per_source": dict(self.per_source),
            "token_method": self.token_method,
        }
