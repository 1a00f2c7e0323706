"""Budgets and loop detection: the reasons an episode stops before the model says so."""

from __future__ import annotations

import threading
import time

from agentbench_ts.agent.config import AgentConfig
from agentbench_ts.protocol.actions import ToolCall
from agentbench_ts.traces.records import StopReason


class Guards:
    def __init__(self, config: AgentConfig, cancel: threading.Event | None = None) -> None:
        self._config = config
        self._cancel = cancel
        self._deadline = time.monotonic() + config.max_wall_s
        self._last_call: str | None = None
        self._repeats = 0
        self._protocol_errors_in_a_row = 0

    def before_step(self, steps_taken: int) -> StopReason | None:
        if self._cancel is not None and self._cancel.is_set():
            return "cancelled"
        if steps_taken >= self._config.max_steps:
            return "max_steps"
        if time.monotonic() >= self._deadline:
            return "wall_time"
        return None

    def protocol_error(self) -> StopReason | None:
        self._protocol_errors_in_a_row += 1
        if self._protocol_errors_in_a_row >= self._config.max_consecutive_protocol_errors:
            return "protocol_errors"
        return None

    def valid_action(self) -> None:
        self._protocol_errors_in_a_row = 0

    def is_loop(self, call: ToolCall) -> bool:
        """True when this call repeats the previous one for the loop_repeat_limit-th time."""
        signature = call.signature()
        self._repeats = self._repeats + 1 if signature == self._last_call else 1
        self._last_call = signature
        return self._repeats >= self._config.loop_repeat_limit
