"""The system prompt, generated from the same schemas the parser enforces."""

from __future__ import annotations

from typing import Any

from agentbench_ts.protocol.actions import Final, ToolCall
from agentbench_ts.protocol.render import PROTOCOL_ERROR, TOOL_ERROR, TOOL_RESULT
from agentbench_ts.protocol.schema import FINAL_STATUSES, TOOL_SPECS, ToolSpec


def _describe_arg(name: str, prop: dict[str, Any], required: bool) -> str:
    parts = [f"  - {name} ({prop.get('type', 'any')}"]
    parts.append(", required" if required else "")
    if "default" in prop:
        parts.append(f", default {prop['default']!r}")
    if "minimum" in prop or "maximum" in prop:
        parts.append(f", {prop.get('minimum', '')}..{prop.get('maximum', '')}")
    parts.append(")")
    if "description" in prop:
        parts.append(f": {prop['description']}")
    return "".join(parts)


def _describe_tool(spec: ToolSpec) -> str:
    schema = spec.args_schema
    required = set(schema["required"])
    lines = [f"### {spec.name}", spec.description]
    lines += [_describe_arg(n, p, n in required) for n, p in schema["properties"].items()]
    return "\n".join(lines)


_EXAMPLES = (
    ToolCall("read_file", {"rel_path": "src/index.ts", "max_chars": 4000}),
    Final("done", "fixed the off-by-one in src/index.ts"),
)


def system_prompt() -> str:
    tools = "\n\n".join(_describe_tool(spec) for spec in TOOL_SPECS)
    statuses = " or ".join(f'"{s}"' for s in FINAL_STATUSES)
    examples = "\n".join(action.to_json() for action in _EXAMPLES)
    return f"""You are a software engineer working in a TypeScript/JavaScript repository.
You act only through tools. Every reply must be exactly one JSON object and nothing else:
no prose, no code fences, no second object.

To call a tool: {{"type":"tool_call","name":<tool>,"args":{{...}}}}
To finish: {{"type":"final","status":{statuses},"message":<short summary>}}

Examples:
{examples}

Paths are relative to the repository root; paths outside it are refused.
Results come back as a user message starting with {TOOL_RESULT}, failures with {TOOL_ERROR},
and a reply that breaks these rules gets {PROTOCOL_ERROR}. Long outputs are truncated.
You cannot run commands; the harness runs the tests.

## Tools

{tools}
"""
