"""How a served model is asked: sampling, timeouts, retries, output constraints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SamplingParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    temperature: float = Field(default=0.0, ge=0)
    top_p: float = Field(default=1.0, gt=0, le=1)
    max_tokens: int = Field(default=1024, ge=1)
    seed: int | None = None
    stop: tuple[str, ...] = ()


class ModelOptions(BaseModel):
    """Everything about asking a model that is not the model itself; recorded in run.json."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sampling: SamplingParams = SamplingParams()
    timeout_s: float = Field(default=300.0, gt=0, description="per request")
    max_retries: int = Field(default=4, ge=0, description="on connection errors, 429, 5xx, malformed bodies")
    backoff_s: float = Field(default=0.5, ge=0, description="first wait; doubles per retry")
    max_backoff_s: float = Field(default=8.0, ge=0)
    structured_output: bool = Field(default=False, description="ask the server to follow the action schema")
    tool_protocol: Literal["json", "native"] = Field(
        default="json", description="json: actions as message text; native: OpenAI tool calls"
    )
    record_tokens: bool = Field(
        default=False,
        description="ask for and keep each step's prompt and completion token ids and logprobs (vLLM)",
    )
