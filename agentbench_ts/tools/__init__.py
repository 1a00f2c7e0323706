"""list_files, read_file, grep and write_file over a workspace, confined to it."""

from agentbench_ts.tools.dispatch import run_tool
from agentbench_ts.tools.host import HostWorkspace
from agentbench_ts.tools.workspace import ToolLimits, ToolResult, Workspace

__all__ = ["HostWorkspace", "ToolLimits", "ToolResult", "Workspace", "run_tool"]
