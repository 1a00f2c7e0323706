"""The render contract: what the model was served is exactly what it will be trained on.

At serving time the prompt of step k is the chat template applied to messages[:k] with a
generation prompt, and the model continues it with its reply. At training time the row ends with
that reply as an assistant message, rendered by the same template. For every assistant turn the
served text (prompt + reply) must be a prefix of the training rendering; any difference means the
adapter would learn from text it never produced (templates that rewrite or drop assistant content).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def chat_template_sha256(tokenizer: Any) -> str | None:
    """The identity of a tokenizer's chat template (None where it has none)."""
    template = getattr(tokenizer, "chat_template", None)
    if not isinstance(template, str):
        return None
    return hashlib.sha256(template.encode()).hexdigest()


@dataclass(frozen=True)
class RenderMismatch:
    message_index: int
    offset: int
    served: str
    trained: str

    def describe(self, context: int = 60) -> str:
        start = max(self.offset - context, 0)
        return (
            f"assistant message {self.message_index}: renderings differ at character {self.offset}\n"
            f"  served : {self.served[start : self.offset + context]!r}\n"
            f"  trained: {self.trained[start : self.offset + context]!r}"
        )


def _first_difference(a: str, b: str) -> int:
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return index
    return min(len(a), len(b))


def render_mismatches(tokenizer: Any, messages: Sequence[dict[str, str]]) -> list[RenderMismatch]:
    """Every assistant turn whose served rendering is not a prefix of its training rendering."""
    mismatches = []
    for index, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        prompt = tokenizer.apply_chat_template(
            list(messages[:index]), add_generation_prompt=True, tokenize=False
        )
        served = prompt + message["content"]
        trained = tokenizer.apply_chat_template(list(messages[: index + 1]), tokenize=False)
        if not trained.startswith(served):
            mismatches.append(RenderMismatch(index, _first_difference(served, trained), served, trained))
    return mismatches
