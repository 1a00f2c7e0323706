"""Is the adapter applied? A fixed set of texts is scored (every token's log-probability) with the
adapter and without it; an adapter that changes nothing (all LoRA B matrices zero, a wrong target, a
server that ignores it) leaves the scores equal. In-process on the PEFT model; against a server through
the completions endpoint's prompt log-probabilities (`echo` with `logprobs`), as vLLM returns them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from agentbench_ts.protocol.actions import Final, ToolCall

CANARY_TEXTS: tuple[str, ...] = (
    "You work in a TypeScript repository through JSON tool calls.\n"
    + ToolCall("list_files", {"rel_dir": ".", "max_files": 200}).to_json(),
    "Fix the failing test in src/sort.ts.\n"
    + ToolCall("read_file", {"rel_path": "src/sort.ts", "max_chars": 4000}).to_json(),
    "export function gcd(a: number, b: number): number { return b === 0 ? a : gcd(b, a % b); }\n"
    + Final("done", "fixed gcd").to_json(),
)
APPLIED_ABOVE = 1e-4
"""The largest log-probability difference a no-op adapter could leave (numerical noise)."""


class CanaryResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    where: str
    """'in-process' or the server's URL and adapter name."""
    applied: bool
    max_abs_diff: float
    mean_abs_diff: float
    tokens: int


def compare(where: str, base: Sequence[Sequence[float]], adapted: Sequence[Sequence[float]]) -> CanaryResult:
    diffs = [abs(a - b) for xs, ys in zip(base, adapted, strict=True) for a, b in zip(xs, ys, strict=True)]
    biggest = max(diffs, default=0.0)
    return CanaryResult(
        where=where,
        applied=biggest > APPLIED_ABOVE,
        max_abs_diff=biggest,
        mean_abs_diff=sum(diffs) / len(diffs) if diffs else 0.0,
        tokens=len(diffs),
    )


def token_logprobs(model: Any, tokenizer: Any, texts: Sequence[str]) -> list[list[float]]:
    """Log-probability of each token of each text given the ones before it."""
    import torch  # noqa: PLC0415 (an optional extra)

    scores = []
    device = next(model.parameters()).device
    with torch.no_grad():
        for text in texts:
            ids = tokenizer(text, return_tensors="pt", add_special_tokens=False)["input_ids"].to(device)
            logits = model(input_ids=ids).logits.float()
            logprobs = torch.log_softmax(logits[0, :-1], dim=-1).gather(1, ids[0, 1:, None])[:, 0]
            scores.append([float(x) for x in logprobs.cpu()])
    return scores


def in_process_canary(model: Any, tokenizer: Any, texts: Sequence[str] = CANARY_TEXTS) -> CanaryResult:
    """`model` is a PeftModel: scored with its adapter and with the adapter disabled."""
    was_training = model.training
    model.eval()
    try:
        adapted = token_logprobs(model, tokenizer, texts)
        with model.disable_adapter():
            base = token_logprobs(model, tokenizer, texts)
    finally:
        model.train(was_training)
    return compare("in-process", base, adapted)


PromptScorer = Callable[[str, str], list[float]]
"""(served model name, text) -> the log-probabilities of the text's tokens after the first."""


def openai_prompt_scorer(base_url: str, timeout_s: float = 120.0) -> PromptScorer:
    import openai  # noqa: PLC0415

    client = openai.OpenAI(base_url=base_url, api_key="EMPTY", timeout=timeout_s, max_retries=2)

    def score(model: str, text: str) -> list[float]:
        response = client.completions.create(model=model, prompt=text, max_tokens=1, echo=True, logprobs=1)
        logprobs = response.choices[0].logprobs
        values = list(logprobs.token_logprobs or []) if logprobs else []
        return [float(v) for v in values if v is not None][: max(len(values) - 2, 0)]

    return score


def server_canary(
    score: PromptScorer, base_name: str, adapter_name: str, where: str, texts: Sequence[str] = CANARY_TEXTS
) -> CanaryResult:
    """The same texts through the served base and the served adapter."""
    base = [score(base_name, text) for text in texts]
    adapted = [score(adapter_name, text) for text in texts]
    return compare(where, base, adapted)
