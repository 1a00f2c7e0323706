"""A model served behind an OpenAI-compatible API (vLLM), through the `openai` SDK.

Retries are ours, not the SDK's, so that each completion can say how many it took: connection
errors, timeouts, 429, 5xx and malformed bodies are retried with exponential backoff; after the
last retry, or on any other error (a 400, an unknown model), ModelError ends the episode.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

import openai
from openai.types.chat import ChatCompletion

from agentbench_ts.errors import ModelError
from agentbench_ts.models.base import ChatMessage, Completion, ServedTokens, Usage
from agentbench_ts.models.options import ModelOptions
from agentbench_ts.protocol.native import action_text_from_tool_calls, native_tools, to_native_messages
from agentbench_ts.protocol.schema import action_json_schema

_RETRYABLE = (
    openai.APIConnectionError,  # includes timeouts and dropped connections
    openai.RateLimitError,
    openai.InternalServerError,
    openai.APIResponseValidationError,
    ValueError,  # a body that is not valid JSON
)


class OpenAIChatModel:
    def __init__(
        self,
        base_url: str,
        model: str,
        options: ModelOptions | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url, self.model = base_url, model
        self.options = options or ModelOptions()
        self._sleep = sleep
        self._client = openai.OpenAI(
            base_url=base_url, api_key="EMPTY", timeout=self.options.timeout_s, max_retries=0
        )

    @property
    def name(self) -> str:
        return f"openai:{self.base_url}#{self.model}"

    def _request(self, messages: Sequence[ChatMessage]) -> dict[str, Any]:
        sampling = self.options.sampling
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in messages],
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
        }
        if sampling.seed is not None:
            request["seed"] = sampling.seed
        if sampling.stop:
            request["stop"] = list(sampling.stop)
        if self.options.tool_protocol == "native":
            request["messages"] = to_native_messages(request["messages"])
            request["tools"] = native_tools()
        elif self.options.structured_output:
            schema = {"name": "agent_action", "schema": action_json_schema()}
            request["response_format"] = {"type": "json_schema", "json_schema": schema}
        if self.options.record_tokens:
            request["logprobs"] = True
            request["extra_body"] = {"return_token_ids": True}  # vLLM's extension
        return request

    def _backoff(self, retry: int) -> float:
        wait = min(self.options.backoff_s * 2.0**retry, self.options.max_backoff_s)
        return wait * (0.5 + random.random() / 2)

    def complete(self, messages: Sequence[ChatMessage]) -> Completion:
        request = self._request(messages)
        started = time.monotonic()
        for retry in range(self.options.max_retries + 1):
            try:
                response = self._client.chat.completions.create(**request)
            except _RETRYABLE as exc:
                if retry == self.options.max_retries:
                    raise ModelError(f"{self.name}: gave up after {retry} retries: {exc}") from exc
                self._sleep(self._backoff(retry))
                continue
            except openai.APIError as exc:
                raise ModelError(f"{self.name}: {exc}") from exc
            return self._completion(response, time.monotonic() - started, retry)
        raise AssertionError("unreachable")

    def _completion(self, response: ChatCompletion, latency_s: float, retries: int) -> Completion:
        if not response.choices:
            raise ModelError(f"{self.name}: the server returned no choices")
        choice = response.choices[0]
        text = choice.message.content or ""
        if choice.message.tool_calls:
            calls = [
                (c.function.name, c.function.arguments)
                for c in choice.message.tool_calls
                if c.type == "function"
            ]
            text = action_text_from_tool_calls(calls)
        usage = response.usage
        return Completion(
            text=text,
            finish_reason=choice.finish_reason,
            usage=Usage(usage.prompt_tokens, usage.completion_tokens) if usage else Usage(),
            latency_s=latency_s,
            retries=retries,
            tokens=served_tokens(response) if self.options.record_tokens else None,
        )


def served_tokens(response: ChatCompletion) -> ServedTokens | None:
    """vLLM's `prompt_token_ids` and the choice's `token_ids` and logprobs; None where it gave none."""
    choice = response.choices[0]
    prompt = getattr(response, "prompt_token_ids", None)
    completion = getattr(choice, "token_ids", None)
    if not isinstance(prompt, list) or not isinstance(completion, list):
        return None
    content = choice.logprobs.content if choice.logprobs and choice.logprobs.content else []
    return ServedTokens(
        prompt_ids=tuple(int(t) for t in prompt),
        completion_ids=tuple(int(t) for t in completion),
        completion_logprobs=tuple(float(entry.logprob) for entry in content),
    )
