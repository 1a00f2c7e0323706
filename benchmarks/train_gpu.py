"""Both training backends on one GPU, in one run: steady-state tokens/s and peak memory.

    python benchmarks/train_gpu.py --shape qwen2.5-7b --runs hf:on,unsloth:on,unsloth:offload \
        --quantization none,4bit --batch 2 --seq 2048 --steps 8 --warmup 3 --repeats 3

The base is built from its architecture's config with random weights and the real vocabulary size
(no hub is reachable; throughput and memory do not depend on the weights), saved once. Each run is
its own process (Unsloth patches transformers and TRL when imported) and goes through the library's
own path: `train.backends.load_for_training` and `train.fit.build_trainer` (TRL's SFTTrainer) on
prompt-completion rows of `--seq` tokens. A run is BACKEND:CHECKPOINTING (on, off, or offload:
Unsloth's variant that moves activations to host memory). Tokens/s counts the tokens of the steps
after `--warmup`; MFU counts 6 x parameters per token (forward, input gradients, and the forward
recomputed by gradient checkpointing; frozen weights get no gradient) against the card's dense bf16
peak. Each row runs `--repeats` processes: its median and spread are printed; the baseline of the
ratios is the first run listed, measured in the same invocation. Each run's recipe arguments (as
its trainer holds them) are compared across all runs.
"""

# ruff: noqa: PLC0415 (each process imports what it measures, Unsloth first where it is measured)
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SHAPES: dict[str, dict[str, Any]] = {
    "qwen2.5-7b": {
        "hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28, "num_attention_heads": 28,
        "num_key_value_heads": 4, "vocab_size": 152064, "tie_word_embeddings": False,
    },
    "qwen2-1.5b": {
        "hidden_size": 1536, "intermediate_size": 8960, "num_hidden_layers": 28, "num_attention_heads": 12,
        "num_key_value_heads": 2, "vocab_size": 151936, "tie_word_embeddings": True,
    },
    "tiny": {
        "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "vocab_size": 1024, "tie_word_embeddings": True,
    },
}  # fmt: skip
BF16_PEAK_TFLOPS = {"H100": 989.4, "H200": 989.4}
"""Dense bf16 tensor-core peak of the SXM cards, in TFLOP/s."""


def build_base(shape: str, folder: Path) -> Path:
    """A Qwen2 of `shape` with random weights (bf16) and a small tokenizer trained here, saved once."""
    if (folder / "config.json").is_file():
        return folder
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast, Qwen2Config

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(
        vocab_size=512, special_tokens=special, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tokenizer.train_from_iterator([" ".join(f"w{i}" for i in range(200))] * 10, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token="<|im_end|>", pad_token="<|endoftext|>"
    )
    fast.chat_template = (
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    config = Qwen2Config(
        **SHAPES[shape],
        max_position_embeddings=32768,
        torch_dtype="bfloat16",
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
    )
    device = "cuda" if torch.cuda.is_available() else "cpu"
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


def _text(tokenizer: Any, tokens: int) -> str:
    """Words that make about `tokens` tokens."""
    words = [f"w{i % 200}" for i in range(tokens)]
    per_word = len(tokenizer(" ".join(words[:200]))["input_ids"]) / 200
    return " ".join(words[: int(tokens / per_word)])


def write_rows(folder: Path, base: Path, rows: int, seq: int) -> Path:
    """Prompt-completion rows of about `seq` tokens each, an eighth of them the completion."""
    from datasets import Dataset, DatasetDict
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base)
    prompt = [{"role": "user", "content": _text(tokenizer, seq - seq // 8 - 16)}]
    completion = [{"role": "assistant", "content": _text(tokenizer, seq // 8)}]
    data = [{"prompt": prompt, "completion": completion}] * rows
    DatasetDict({"train": Dataset.from_list(data)}).save_to_disk(str(folder / "dataset"))
    return folder


def _weights(parameter: Any) -> int:
    """Its weights before 4-bit packing (bitsandbytes keeps the original shape in quant_state)."""
    state = getattr(parameter, "quant_state", None)
    return int(state.shape.numel()) if state is not None else int(parameter.numel())


def worker(args: argparse.Namespace) -> None:
    os.environ.setdefault("UNSLOTH_SKIP_TORCHVISION_CHECK", "1")
    backend, checkpointing = args.worker.split(":")
    if backend == "unsloth":
        import unsloth  # noqa: F401  (first, as Unsloth asks)
    import torch
    from transformers import TrainerCallback

    from agentbench_ts.train.backends import load_for_training
    from agentbench_ts.train.config import TrainConfig
    from agentbench_ts.train.data import load_training_data
    from agentbench_ts.train.fit import build_trainer, effective_arguments, recipe_arguments

    cuda = torch.cuda.is_available()
    device = "cuda" if cuda else "cpu"  # the CPU only proves the script runs
    config = TrainConfig(
        method="sft", dataset=Path(args.data), base=args.base, out_dir=Path(args.work) / "out",
        backend=backend,
        quantization=args.worker_quantization, max_length=2 * args.seq, max_steps=args.warmup + args.steps,
        batch_size=args.batch, grad_accum=1, learning_rate=1e-5, warmup_ratio=0.0, device=device,
        gradient_checkpointing=checkpointing, canary=False,
    )  # fmt: skip

    class Clock(TrainerCallback):
        def __init__(self) -> None:
            self.marks: list[float] = []

        def on_step_end(self, *a: Any, **k: Any) -> None:
            if cuda:
                torch.cuda.synchronize()
            self.marks.append(time.perf_counter())

    started = time.perf_counter()
    loaded = load_for_training(config)
    load_s = time.perf_counter() - started
    data = load_training_data(config.dataset, "train", "sft")
    trainer = build_trainer(
        config, data, loaded.model, loaded.tokenizer, device=device, work_dir=Path(args.work)
    )
    clock = Clock()
    trainer.add_callback(clock)
    tokens_per_step = sum(len(ids) for ids in trainer.train_dataset["input_ids"][: args.batch])
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    trainer.train()
    steady = clock.marks[args.warmup :]
    seconds = steady[-1] - clock.marks[args.warmup - 1]
    params = sum(_weights(p) for p in loaded.model.parameters())
    print(json.dumps({
        "run": args.worker, "quantization": args.worker_quantization, "backend": loaded.backend,
        "tokens_per_s": tokens_per_step * len(steady) / seconds, "step_s": seconds / len(steady),
        "peak_gib": torch.cuda.max_memory_allocated() / (1 << 30) if cuda else 0.0, "load_s": load_s,
        "params": params,
        "tokens_per_step": tokens_per_step,
        "trainer": type(trainer).__name__,
        "recipe": {key: effective_arguments(trainer).get(key) for key in recipe_arguments(config)},
    }))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shape", default="qwen2.5-7b", choices=sorted(SHAPES))
    parser.add_argument("--runs", default="hf:on,unsloth:on,unsloth:offload")
    parser.add_argument("--quantization", default="none,4bit")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--seq", type=int, default=2048)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=1, help="processes per row (median and spread)")
    parser.add_argument("--model-dir", type=Path, help="where the random-weight base is kept")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-quantization", help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    import torch

    card = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    peak = next((v for k, v in BF16_PEAK_TFLOPS.items() if k in card), None)
    base = build_base(
        args.shape, args.model_dir or Path(tempfile.gettempdir()) / f"agentbench-bench-{args.shape}"
    )
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        data = write_rows(Path(tmp), base, rows=args.batch * (args.warmup + args.steps), seq=args.seq)
        for quantization in args.quantization.split(","):
            for run in args.runs.split(","):
                for _ in range(args.repeats):
                    command = [sys.executable, __file__, "--worker", run,
                               "--worker-quantization", quantization,
                               "--base", str(base), "--data", str(data), "--work", tmp,
                               "--batch", str(args.batch), "--seq", str(args.seq),
                               "--steps", str(args.steps), "--warmup", str(args.warmup)]  # fmt: skip
                    done = subprocess.run(command, capture_output=True, text=True, check=False)
                    lines = [line for line in done.stdout.splitlines() if line.startswith('{"run"')]
                    if done.returncode != 0 or not lines:
                        print(f"{run} {quantization}: failed\n{done.stderr[-3000:]}", flush=True)
                        continue
                    results.append(json.loads(lines[-1]))
                    print(json.dumps(results[-1]), flush=True)
    print(
        f"\n{card}; shape {args.shape}; batch {args.batch} x {args.seq} tokens; LoRA r=16, all linear layers;"
        f" {args.repeats} process(es) per row: median tokens/s (min-max)"
    )
    rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in results:
        rows.setdefault((r["quantization"], r["run"]), []).append(r)
    baseline: dict[str, float] = {}
    for (quantization, run), runs in rows.items():
        speeds = sorted(r["tokens_per_s"] for r in runs)
        median = statistics.median(speeds)
        baseline.setdefault(quantization, median)
        peak_gib = max(r["peak_gib"] for r in runs)
        mfu = f"{6 * runs[0]['params'] * median / (peak * 1e12):6.1%}" if peak else "   -"
        print(f"{run:<16} {quantization:<5} {median:9.0f} tok/s ({speeds[0]:.0f}-{speeds[-1]:.0f})"
              f"  {peak_gib:6.1f} GiB  MFU {mfu}  {median / baseline[quantization]:5.2f}x of the first"
              f"  ({runs[0]['trainer']})")  # fmt: skip
    recipes = {json.dumps(r["recipe"], sort_keys=True) for r in results}
    print("recipe arguments: " + ("the same in every run" if len(recipes) == 1 else f"DIFFER: {recipes}"))


if __name__ == "__main__":
    main()
