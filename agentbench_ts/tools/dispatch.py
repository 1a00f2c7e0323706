"""Run one validated tool call against a workspace and package the result."""

from __future__ import annotations

import time
from typing import Any

from agentbench_ts.errors import AgentbenchError, ToolError
from agentbench_ts.protocol.actions import ToolCall
from agentbench_ts.protocol.render import truncate
from agentbench_ts.protocol.schema import apply_defaults
from agentbench_ts.tools.workspace import ToolResult, Workspace


def _call(workspace: Workspace, name: str, args: dict[str, Any]) -> str:
    """Dispatch a call whose args were validated against the tool's schema."""
    if name == "list_files":
        return workspace.list_files(args["rel_dir"], args["max_files"])
    if name == "read_file":
        return workspace.read_file(
            args["rel_path"], args["max_chars"], args.get("start_line"), args.get("end_line")
        )
    if name == "grep":
        return workspace.grep(args["pattern"], args["rel_dir"], args["max_matches"], args.get("glob"))
    if name == "write_file":
        return workspace.write_file(args["rel_path"], args["content"])
    raise ToolError(f"unknown tool {name!r}")


def run_tool(workspace: Workspace, call: ToolCall, max_output_chars: int = 20_000) -> ToolResult:
    """Execute `call`; refusals, I/O failures and any other exception raised by its arguments become
    ok=False results (tool errors). Only the sandbox's own failures (AgentbenchError) propagate."""
    started = time.monotonic()
    try:
        output = _call(workspace, call.name, apply_defaults(call.name, call.args))
        ok = True
    except ToolError as exc:
        output, ok = str(exc), False
    except (OSError, UnicodeError) as exc:
        output, ok = f"{call.name} failed: {exc}", False
    except AgentbenchError:
        raise  # the sandbox itself failed (a harness error), not the call
    except Exception as exc:  # whatever its arguments make a tool raise is the call's failure
        output, ok = f"{call.name} failed: {type(exc).__name__}: {exc}", False
    shown, truncated = truncate(output, max_output_chars)
    return ToolResult(ok=ok, output=shown, truncated=truncated, elapsed_s=time.monotonic() - started)
