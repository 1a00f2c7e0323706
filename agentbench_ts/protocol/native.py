"""The protocol as OpenAI native tool calls: the same actions, spelled as `tools` and `tool_calls`.

Traces and training data always hold the canonical JSON text of an action; these functions
translate to and from the native form at the edge, when a request is sent and a reply arrives.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from agentbench_ts.protocol.actions import canonical_json
from agentbench_ts.protocol.parser import parse_action
from agentbench_ts.protocol.schema import FINAL_SCHEMA, TOOL_SPECS

FINAL_TOOL = "final"


def native_tools() -> list[dict[str, Any]]:
    tools = [
        {
            "type": "function",
            "function": {"name": s.name, "description": s.description, "parameters": s.args_schema},
        }
        for s in TOOL_SPECS
    ]
    final_params = {
        "type": "object",
        "properties": {k: v for k, v in FINAL_SCHEMA["properties"].items() if k != "type"},
        "required": ["status"],
        "additionalProperties": False,
    }
    tools.append(
        {
            "type": "function",
            "function": {"name": FINAL_TOOL, "description": "End the episode.", "parameters": final_params},
        }
    )
    return tools


def action_text_from_tool_calls(calls: Sequence[tuple[str, str]]) -> str:
    """The canonical action text for (name, JSON arguments) pairs; malformed ones stay visibly broken."""
    texts = []
    for name, arguments in calls:
        try:
            args = json.loads(arguments)
        except json.JSONDecodeError:
            texts.append(f'{{"type":"tool_call","name":{json.dumps(name)},"args":{arguments}}}')
            continue
        if name == FINAL_TOOL and isinstance(args, dict):
            texts.append(canonical_json({"type": "final", **args}))
        else:
            texts.append(canonical_json({"type": "tool_call", "name": name, "args": args}))
    return "".join(texts)


def to_native_messages(messages: Sequence[dict[str, str]]) -> list[dict[str, Any]]:
    """Assistant turns that are valid actions become tool calls, and the replies to them tool messages."""
    native: list[dict[str, Any]] = []
    pending_call: str | None = None
    for message in messages:
        if message["role"] == "assistant":
            action = parse_action(message["content"]).action
            if action is None:
                native.append(dict(message))
                pending_call = None
                continue
            pending_call = f"call_{len(native)}"
            payload = action.to_dict()
            name = payload.pop("name", FINAL_TOOL) if payload["type"] == "tool_call" else FINAL_TOOL
            arguments = (
                payload["args"]
                if payload["type"] == "tool_call"
                else {k: v for k, v in payload.items() if k != "type"}
            )
            function = {"name": name, "arguments": canonical_json(arguments)}
            native.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{"id": pending_call, "type": "function", "function": function}],
                }
            )
        elif message["role"] == "user" and pending_call is not None:
            native.append({"role": "tool", "tool_call_id": pending_call, "content": message["content"]})
            pending_call = None
        else:
            native.append(dict(message))
    return native
