"""Token lengths of chat rows as the trainer will see them: the tokenizer's chat template, then its
tokenizer, with no special tokens added (the template writes them).

Rows of one episode share almost all their text, so counting each row from scratch costs the square
of the episode's length. Added tokens (<|im_start|>, ...) are split off before a tokenizer's model
runs, so the count of a text is the number of added tokens in it plus the counts of the pieces
between them; pieces repeat across rows and are counted once. The first rows are also counted the
plain way, and any difference switches to the plain way for everything.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

CHECKED_ROWS = 64


class TokenLengths:
    def __init__(self, tokenizer: Any, checked_rows: int = CHECKED_ROWS) -> None:
        if getattr(tokenizer, "chat_template", None) is None:
            raise ValueError("the tokenizer has no chat template; the trainer could not render these rows")
        self._tokenizer = tokenizer
        self._pieces: dict[str, int] = {}
        self._unchecked = checked_rows
        added = list(tokenizer.added_tokens_decoder.values())
        self.method = "pieces" if added and not any(_alters_neighbours(t) for t in added) else "plain"
        contents = sorted((t.content for t in added), key=len, reverse=True)
        self._splitter = re.compile("|".join(map(re.escape, contents))) if contents else None

    def render(self, messages: Sequence[dict[str, str]]) -> str:
        text = self._tokenizer.apply_chat_template(list(messages), tokenize=False)
        assert isinstance(text, str)
        return text

    def lengths(self, conversations: Sequence[Sequence[dict[str, str]]]) -> list[int]:
        texts = [self.render(c) for c in conversations]
        if self.method == "plain":
            return self._plain(texts)
        counted = self._by_pieces(texts)
        if self._unchecked > 0:
            sample = slice(0, self._unchecked)
            self._unchecked -= len(texts[sample])
            if self._plain(texts[sample]) != counted[sample]:
                self.method = "plain"
                return self._plain(texts)
        return counted

    def _plain(self, texts: list[str]) -> list[int]:
        encoded = self._tokenizer(texts, add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def _by_pieces(self, texts: list[str]) -> list[int]:
        assert self._splitter is not None
        split = [self._splitter.split(text) for text in texts]
        known = self._pieces
        unknown = list(dict.fromkeys(p for pieces in split for p in pieces if p not in known))
        if unknown:
            known.update(zip(unknown, self._plain(unknown), strict=True))
        return [len(pieces) - 1 + sum(known[p] for p in pieces) for pieces in split]


def _alters_neighbours(token: Any) -> bool:
    """Added tokens that strip or normalise the text around them break the piecewise count."""
    return bool(getattr(token, "lstrip", False) or getattr(token, "rstrip", False) or token.normalized)
