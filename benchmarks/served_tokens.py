"""What recording the served token ids and logprobs costs (ModelOptions.record_tokens).

    python benchmarks/served_tokens.py --requests 300 --prompt-tokens 6000 --completion-tokens 120

The same chat requests go to the scripted OpenAI-compatible server (in this process's threads; it
returns as many token ids as vLLM would for a prompt and a reply of the given sizes) through the real
`openai` client, once without and once with token records. It prints the client-side time per
request, the size of one step's trace record, and the ratios (baseline: records off, same run).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from agentbench_ts.agent.record import step_record
from agentbench_ts.agent.steps import Step
from agentbench_ts.models.openai_chat import OpenAIChatModel
from agentbench_ts.models.options import ModelOptions
from agentbench_ts.protocol.actions import ToolCall
from agentbench_ts.protocol.parser import parse_action
from agentbench_ts.testing.scripted_server import ScriptedChatServer

REPLY = ToolCall("read_file", {"rel_path": "src/sort.ts", "max_chars": 4000}).to_json()


def measure(base_url: str, record: bool, requests: int) -> tuple[list[float], int]:
    model = OpenAIChatModel(base_url, "scripted", ModelOptions(record_tokens=record, max_retries=0))
    messages: list[Any] = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
    times, size = [], 0
    for _ in range(requests):
        started = time.perf_counter()
        completion = model.complete(messages)
        times.append(time.perf_counter() - started)
        size = len(step_record(Step(0, completion, parse_action(completion.text))).model_dump_json())
    return times, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--prompt-tokens", type=int, default=6000)
    parser.add_argument("--completion-tokens", type=int, default=120)
    args = parser.parse_args()
    ids = (list(range(100, 100 + args.prompt_tokens)), list(range(200, 200 + args.completion_tokens)))
    with ScriptedChatServer(lambda messages: REPLY, tokenize=lambda messages, reply: ids) as server:
        measure(server.base_url, True, 20)  # warm-up
        off, off_size = measure(server.base_url, False, args.requests)
        on, on_size = measure(server.base_url, True, args.requests)
    off_ms, on_ms = statistics.median(off) * 1000, statistics.median(on) * 1000
    sizes = f"a {args.prompt_tokens}-token prompt and a {args.completion_tokens}-token reply"
    print(f"{args.requests} requests, {sizes}")
    print(f"records off: median {off_ms:7.2f} ms per request, {off_size:7d} bytes per step record")
    print(f"records on : median {on_ms:7.2f} ms per request, {on_size:7d} bytes per step record")
    print(f"ratio (on / off): time {on_ms / off_ms:.2f}x, step record {on_size / off_size:.1f}x")


if __name__ == "__main__":
    main()
