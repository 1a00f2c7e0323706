"""JSON Schemas of the v1 actions: the one source of truth for prompts, parsing and training."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PROTOCOL_VERSION = 1

JsonSchema = dict[str, Any]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    args_schema: JsonSchema


def _args(properties: JsonSchema, required: list[str]) -> JsonSchema:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


_REL_DIR = {
    "type": "string",
    "default": ".",
    "description": "directory relative to the repository root",
}

TOOL_SPECS: tuple[ToolSpec, ...] = (
    ToolSpec(
        name="list_files",
        description="List the files under a directory, recursively (skips .git and node_modules).",
        args_schema=_args(
            {
                "rel_dir": _REL_DIR,
                "max_files": {"type": "integer", "minimum": 1, "maximum": 5000, "default": 200},
            },
            [],
        ),
    ),
    ToolSpec(
        name="read_file",
        description="Read a text file, optionally only the lines start_line..end_line (1-based).",
        args_schema=_args(
            {
                "rel_path": {"type": "string", "description": "file relative to the repository root"},
                "max_chars": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 4000},
                "start_line": {"type": "integer", "minimum": 1},
                "end_line": {"type": "integer", "minimum": 1},
            },
            ["rel_path"],
        ),
    ),
    ToolSpec(
        name="grep",
        description="Search files for a Python regular expression; prints path:line: text.",
        args_schema=_args(
            {
                "pattern": {"type": "string", "description": "Python regular expression"},
                "rel_dir": _REL_DIR,
                "max_matches": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50},
                "glob": {"type": "string", "description": "only files whose path matches, e.g. *.ts"},
            },
            ["pattern"],
        ),
    ),
    ToolSpec(
        name="write_file",
        description="Create or overwrite a file with the given content.",
        args_schema=_args(
            {
                "rel_path": {"type": "string", "description": "file relative to the repository root"},
                "content": {"type": "string", "description": "the whole new content of the file"},
            },
            ["rel_path", "content"],
        ),
    ),
)

TOOLS: dict[str, ToolSpec] = {spec.name: spec for spec in TOOL_SPECS}

FINAL_STATUSES = ("done", "give_up")

TOOL_CALL_ENVELOPE: JsonSchema = {
    "type": "object",
    "properties": {
        "type": {"const": "tool_call"},
        "name": {"type": "string"},
        "args": {"type": "object"},
    },
    "required": ["type", "name", "args"],
    "additionalProperties": False,
}

FINAL_SCHEMA: JsonSchema = {
    "type": "object",
    "properties": {
        "type": {"const": "final"},
        "status": {"enum": list(FINAL_STATUSES)},
        "message": {"type": "string"},
    },
    "required": ["type", "status"],
    "additionalProperties": False,
}


def action_json_schema() -> JsonSchema:
    """One schema accepting exactly the valid actions (for constrained decoding and docs)."""
    variants: list[JsonSchema] = [
        {
            "type": "object",
            "properties": {
                "type": {"const": "tool_call"},
                "name": {"const": spec.name},
                "args": spec.args_schema,
            },
            "required": ["type", "name", "args"],
            "additionalProperties": False,
        }
        for spec in TOOL_SPECS
    ]
    variants.append(FINAL_SCHEMA)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "anyOf": variants}


def apply_defaults(name: str, args: dict[str, Any]) -> dict[str, Any]:
    """The args of a validated call with the schema's defaults filled in."""
    filled = dict(args)
    for key, prop in TOOLS[name].args_schema["properties"].items():
        if key not in filled and "default" in prop:
            filled[key] = prop["default"]
    return filled
