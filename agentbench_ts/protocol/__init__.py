"""The strict JSON tool protocol (v1): schemas, parser, rendering, system prompt."""

from agentbench_ts.protocol.actions import Action, Final, ToolCall, action_from_dict, canonical_json
from agentbench_ts.protocol.parser import (
    ParseError,
    ParseErrorKind,
    ParseResult,
    parse_action,
    validate_action,
)
from agentbench_ts.protocol.prompt import system_prompt
from agentbench_ts.protocol.schema import PROTOCOL_VERSION, TOOLS, action_json_schema

__all__ = [
    "PROTOCOL_VERSION",
    "TOOLS",
    "Action",
    "Final",
    "ParseError",
    "ParseErrorKind",
    "ParseResult",
    "ToolCall",
    "action_from_dict",
    "action_json_schema",
    "canonical_json",
    "parse_action",
    "system_prompt",
    "validate_action",
]
