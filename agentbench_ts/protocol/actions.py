"""The two kinds of action a model may take: call a tool, or end the episode."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal


def canonical_json(obj: Any) -> str:
    """The one rendering of JSON used for actions in prompts, traces and training targets."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class ToolCall:
    name: str
    args: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "tool_call", "name": self.name, "args": self.args}

    def to_json(self) -> str:
        return canonical_json(self.to_dict())

    def signature(self) -> str:
        """Identity of the call for loop detection: name plus args with sorted keys."""
        return self.name + json.dumps(self.args, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class Final:
    status: Literal["done", "give_up"]
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"type": "final", "status": self.status, "message": self.message}

    def to_json(self) -> str:
        return canonical_json(self.to_dict())


Action = ToolCall | Final


def action_from_dict(obj: dict[str, Any]) -> Action:
    """Rebuild an action from its (already validated) dict form, e.g. from a trace."""
    if obj["type"] == "final":
        return Final(status=obj["status"], message=obj.get("message", ""))
    return ToolCall(name=obj["name"], args=dict(obj["args"]))
