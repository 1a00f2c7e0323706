"""The agent loop's budgets and policies."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TestPolicy = Literal["never", "on_write", "end"]


class AgentConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    max_steps: int = Field(default=30, ge=1)
    max_wall_s: float = Field(default=900.0, gt=0)
    loop_repeat_limit: int = Field(default=3, ge=2, description="same call this many times in a row")
    max_consecutive_protocol_errors: int = Field(default=3, ge=1)
    test_policy: TestPolicy = Field(
        default="on_write",
        description="never: no feedback; on_write: after each write_file; end: when the model says done",
    )
    lenient_parsing: bool = False
    max_tool_output_chars: int = Field(default=20_000, ge=100)
