"""Task-level splits: a task's split is a pure function of its id, a salt and the ratios, so every
round, run and machine puts a task in the same split, and no task is ever split across steps."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from agentbench_ts.errors import ExtractError

_SPLIT_NAME = re.compile(r"^\w+$")


@dataclass(frozen=True)
class SplitSpec:
    ratios: tuple[tuple[str, float], ...] = (("train", 0.9), ("eval", 0.1))
    salt: str = "agentbench-v1"
    train: tuple[str, ...] = ("train",)

    def __post_init__(self) -> None:
        names = [name for name, _ in self.ratios]
        if not names or len(set(names)) != len(names):
            raise ExtractError(f"split names must be given once each: {names}")
        for name, ratio in self.ratios:
            if not _SPLIT_NAME.match(name):
                raise ExtractError(f"split name {name!r} must be letters, digits or _")
            if not 0 <= ratio <= 1:
                raise ExtractError(f"split {name} has ratio {ratio}; ratios lie in [0, 1]")
        if abs(sum(ratio for _, ratio in self.ratios) - 1) > 1e-9:
            raise ExtractError(f"split ratios must add up to 1: {dict(self.ratios)}")
        if unknown := set(self.train) - set(names):
            raise ExtractError(f"training split(s) {sorted(unknown)} are not among {names}")

    @classmethod
    def parse(cls, text: str, salt: str = "agentbench-v1", train: tuple[str, ...] = ("train",)) -> SplitSpec:
        """'train=0.8,eval=0.2' -> SplitSpec."""
        ratios: list[tuple[str, float]] = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, sep, value = part.partition("=")
            try:
                ratios.append((name.strip(), float(value)))
            except ValueError:
                sep = ""
            if not sep:
                raise ExtractError(f"bad split {part!r}: write NAME=RATIO, e.g. train=0.9,eval=0.1")
        return cls(tuple(ratios), salt, train)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.ratios]

    @property
    def evaluation(self) -> list[str]:
        return [name for name in self.names if name not in self.train]

    def split_of(self, task_id: str) -> str:
        digest = hashlib.sha256(f"{self.salt}\0{task_id}".encode()).digest()
        point = int.from_bytes(digest[:8], "big") / 2**64
        cumulative = 0.0
        for name, ratio in self.ratios:
            cumulative += ratio
            if point < cumulative:
                return name
        return [name for name, ratio in self.ratios if ratio > 0][-1]
