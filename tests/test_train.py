"""Training adapters on CPU with a tiny random Qwen2 (tests/tiny_models.py): the plumbing of SFT and
DPO, the adapter folder and its metadata, refusals, vLLM compatibility, the canary and checkpoint
selection. A tiny random model measures nothing about quality: these check mechanics only."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from mixed_traces import record_mixed_runs

from agentbench_ts.errors import TrainError
from agentbench_ts.extract import (
    ExtractOptions,
    LengthGuard,
    SplitSpec,
    TaskSelection,
    extract_dpo,
    extract_sft,
)
from agentbench_ts.extract.export import write_extraction
from agentbench_ts.protocol.actions import ToolCall
from agentbench_ts.sandbox.config import LocalSandboxConfig
from agentbench_ts.sandbox.registry import sandbox_factory
from agentbench_ts.train.adapter import file_sha256, read_info
from agentbench_ts.train.config import LoraSettings, Selection, TrainConfig

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("unsloth_may_skip_torchvision")]
ALL_TRAIN = TaskSelection(SplitSpec((("train", 1.0),)))
FAST = {"max_steps": 4, "batch_size": 2, "grad_accum": 1, "learning_rate": 1e-3, "max_length": 4096}
SMALL_LORA = LoraSettings(r=8, alpha=16)


@pytest.fixture(scope="module")
def tokenizer(base: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(base, local_files_only=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    make_sandbox = sandbox_factory(LocalSandboxConfig(path_env=os.environ["PATH"]))
    return list(record_mixed_runs(tmp_path_factory.mktemp("mixed"), make_sandbox))


@pytest.fixture(scope="module")
def sft_data(runs: list[Path], tokenizer: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Prompt-completion rows from real scripted runs, measured with the base's tokenizer."""
    options = ExtractOptions(ALL_TRAIN, LengthGuard(tokenizer, 4096))
    extraction = extract_sft(runs, options=options, format="prompt-completion")
    return write_extraction(extraction.dataset, extraction.report, tmp_path_factory.mktemp("data") / "sft")


@pytest.fixture(scope="module")
def dpo_data(runs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    extraction = extract_dpo(runs, options=ExtractOptions(ALL_TRAIN))
    return write_extraction(extraction.dataset, extraction.report, tmp_path_factory.mktemp("data") / "dpo")


def fixed_rows(folder: Path, rows: list[dict[str, Any]], split: str = "train") -> Path:
    """A saved DatasetDict holding exactly `rows` (and an empty `eval` split)."""
    from datasets import Dataset, DatasetDict

    empty = Dataset.from_list(rows).select([])
    data = DatasetDict({split: Dataset.from_list(rows), "eval": empty})
    data.save_to_disk(str(folder / "dataset"), num_shards=dict.fromkeys(data, 1))
    return folder


ACTION = ToolCall("read_file", {"rel_path": "src/a.ts"}).to_json()
FIXED = [
    {
        "prompt": [{"role": "user", "content": f"open file number {i}"}],
        "completion": [{"role": "assistant", "content": ACTION}],
    }
    for i in range(4)
]


def config(base: Path, data: Path, out: Path, method: str = "sft", **overrides: Any) -> TrainConfig:
    settings: dict[str, Any] = {**FAST, "lora": SMALL_LORA, **overrides}
    return TrainConfig(method=method, dataset=data, base=str(base), out_dir=out, **settings)  # type: ignore[arg-type]


def trained(cfg: TrainConfig) -> Any:
    from agentbench_ts.train.api import train_adapter

    return train_adapter(cfg)


def test_sft_loss_goes_down_on_a_fixed_tiny_dataset(base: Path, tmp_path: Path) -> None:
    data = fixed_rows(tmp_path / "data", FIXED)
    result = trained(
        config(base, data, tmp_path / "adapter", max_steps=20, learning_rate=1e-2, warmup_ratio=0.0)
    )
    losses = [loss for _, loss in result.info.curves["loss"]]
    assert len(losses) == 20 and losses[-1] < losses[0] - 0.2, losses  # (6.37 -> 5.93 when written)
    assert max(losses[-5:]) < min(losses[:5]), losses


def test_exactly_the_completion_tokens_carry_loss(
    base: Path, sft_data: Path, tokenizer: Any, tmp_path: Path
) -> None:
    from agentbench_ts.train.backends import load_for_training
    from agentbench_ts.train.data import load_training_data
    from agentbench_ts.train.fit import build_trainer

    cfg = config(base, sft_data, tmp_path / "adapter")
    data = load_training_data(cfg.dataset, cfg.split, cfg.method)
    loaded = load_for_training(cfg)
    trainer = build_trainer(
        cfg, data, loaded.model, loaded.tokenizer, device=loaded.device, work_dir=tmp_path
    )
    for example, row in zip(trainer.train_dataset, data.rows, strict=True):
        labelled = [label for label in example["labels"] if label != -100]
        assert tokenizer.decode(labelled) == row["completion"][0]["content"] + "<|im_end|>"
        masked = [
            t for t, label in zip(example["input_ids"], example["labels"], strict=True) if label == -100
        ]
        assert tokenizer.decode(masked).endswith("<|im_start|>assistant\n")  # the prompt carries none


def test_messages_rows_are_learned_on_assistant_turns_only(
    base: Path, runs: list[Path], tokenizer: Any, tmp_path: Path
) -> None:
    from agentbench_ts.train.backends import load_for_training
    from agentbench_ts.train.data import load_training_data
    from agentbench_ts.train.fit import build_trainer

    extraction = extract_sft(runs, options=ExtractOptions(ALL_TRAIN))
    data_dir = write_extraction(extraction.dataset, extraction.report, tmp_path / "data")
    cfg = config(base, data_dir, tmp_path / "adapter")
    data = load_training_data(cfg.dataset, cfg.split, cfg.method)
    assert data.format == "messages"
    loaded = load_for_training(cfg)
    trainer = build_trainer(
        cfg, data, loaded.model, loaded.tokenizer, device=loaded.device, work_dir=tmp_path
    )
    for example, row in zip(trainer.train_dataset, data.rows, strict=True):
        learned = tokenizer.decode([label for label in example["labels"] if label != -100])
        assert learned == "".join(
            m["content"] + "<|im_end|>" for m in row["messages"] if m["role"] == "assistant"
        )
    assert (
        trained(config(base, data_dir, tmp_path / "trained", max_steps=2)).info.dataset["format"]
        == "messages"
    )


def test_a_trained_adapter_is_recorded_truly_and_serves_as_hf_base_plus_adapter(
    base: Path, sft_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from agentbench_ts.cli.main import main
    from agentbench_ts.models.registry import model_factory
    from agentbench_ts.runner import RunConfig, run_tasks

    from conftest import make_js_task

    out = tmp_path / "adapter"
    argv = ["train", "sft", str(sft_data), "--base", str(base), "--out", str(out), "--max-steps", "3"]
    argv += [
        "--batch-size",
        "2",
        "--grad-accum",
        "1",
        "--lora-r",
        "8",
        "--lora-alpha",
        "16",
        "--max-length",
        "4096",
    ]
    assert main(argv) == 0
    assert {
        "adapter_config.json",
        "adapter_model.safetensors",
        "tokenizer.json",
        "agentbench_adapter.json",
    } <= {p.name for p in out.iterdir()}
    info = read_info(out)
    extraction = json.loads((sft_data / "extraction.json").read_text())
    assert info.base == str(base) and info.base_config_sha256 == file_sha256(base / "config.json")
    assert info.model_type == "qwen2" and info.backend == "hf" and info.device == "cpu"
    assert info.trainer == "SFTTrainer" and info.trainer_arguments["optim"] == info.config.optimizer
    assert (
        info.dataset["rows"] == extraction["per_split"]["train"]
        and info.dataset["inputs"] == extraction["inputs"]
    )
    assert info.dataset["format"] == "prompt-completion" and info.dataset["split"] == "train"
    assert info.chat_template_sha256 == extraction["options"]["chat_template_sha256"]
    assert info.config.max_steps == 3 and info.config.lora.r == 8 and info.stats.steps == 3
    assert [step for step, _ in info.curves["loss"]] == [1, 2, 3] and info.stats.tokens_seen > 0
    assert (
        info.versions["trl"] and info.versions["peft"] and info.command[:3] == ["agentbench", "train", "sft"]
    )
    assert info.canary is not None and info.canary.applied and info.parent_adapter is None
    printed = capsys.readouterr().out
    assert "canary          applied" in printed and f"adapter: {out}" in printed
    assert main(["adapters", "inspect", str(out)]) == 0
    shown = capsys.readouterr().out
    assert "sft on " in shown and "LoRA r=8 alpha=16" in shown and "over 3 steps" in shown
    assert main(["adapters", "check", str(out)]) == 0 and "vLLM would apply it" in capsys.readouterr().out
    task = make_js_task(tmp_path / "task")
    run = RunConfig(out_dir=tmp_path / "run", model={"spec": f"hf:{base}+{out}"}, agent={"max_steps": 2})  # type: ignore[arg-type]
    [episode] = run_tasks(run, tasks=[task], make_model=model_factory(f"hf:{base}+{out}")).episodes()
    assert episode.stop_reason != "harness_error" and episode.model == f"hf:{base}+{out}"


def test_continuing_from_the_last_rounds_adapter_records_its_parent(base: Path, tmp_path: Path) -> None:
    data = fixed_rows(tmp_path / "data", FIXED)
    first = trained(config(base, data, tmp_path / "round1"))
    second = trained(config(base, data, tmp_path / "round2", parent_adapter=first.adapter_dir))
    parent = second.info.parent_adapter
    assert parent is not None and parent["path"] == str(first.adapter_dir.resolve())
    assert parent["weights_sha256"] == file_sha256(first.adapter_dir / "adapter_model.safetensors")
    assert file_sha256(second.adapter_dir / "adapter_model.safetensors") != parent["weights_sha256"]


def _margin(model: Any, tokenizer: Any, row: dict[str, Any]) -> float:
    """The DPO implicit reward margin of one pair: (policy - reference) on chosen minus on rejected."""
    import torch

    def logp(answer: list[dict[str, str]]) -> float:
        prompt = tokenizer.apply_chat_template(row["prompt"], add_generation_prompt=True, tokenize=False)
        whole = tokenizer.apply_chat_template([*row["prompt"], *answer], tokenize=False)
        ids = tokenizer(whole, return_tensors="pt", add_special_tokens=False)["input_ids"]
        start = len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
        with torch.no_grad():
            logits = model(input_ids=ids).logits.float()
        picked = torch.log_softmax(logits[0, :-1], -1).gather(1, ids[0, 1:, None])[:, 0]
        return float(picked[start - 1 :].sum())

    policy = logp(row["chosen"]) - logp(row["rejected"])
    with model.disable_adapter():
        reference = logp(row["chosen"]) - logp(row["rejected"])
    return policy - reference


def test_dpo_grows_the_chosen_over_rejected_margin(base: Path, dpo_data: Path, tmp_path: Path) -> None:
    from datasets import load_from_disk
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    result = trained(config(base, dpo_data, tmp_path / "dpo", method="dpo", max_steps=8, learning_rate=5e-3))
    assert result.info.dataset["format"] == "preference" and "rewards/margins" in result.info.curves
    model = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(base), str(result.adapter_dir)
    ).eval()
    tokenizer = AutoTokenizer.from_pretrained(base)
    rows = load_from_disk(str(dpo_data / "dataset"))["train"]
    margins = [_margin(model, tokenizer, row) for row in rows]
    assert sum(margins) / len(margins) > 0.0, margins  # zero before training: the fresh adapter adds nothing


def test_both_backends_train_the_same_rows_into_adapters_that_load_the_same_way(
    base: Path, tmp_path: Path
) -> None:
    from peft import PeftModel
    from safetensors import safe_open
    from transformers import AutoModelForCausalLM

    data = fixed_rows(tmp_path / "data", FIXED)
    adapters = {
        name: trained(config(base, data, tmp_path / name, backend=name)) for name in ("hf", "unsloth")
    }
    keys = {}
    for name, result in adapters.items():
        assert result.info.backend == name and result.info.canary is not None and result.info.canary.applied
        PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), str(result.adapter_dir))
        with safe_open(str(result.adapter_dir / "adapter_model.safetensors"), framework="pt") as handle:
            keys[name] = {key: tuple(handle.get_slice(key).get_shape()) for key in handle.keys()}  # noqa: SIM118
        assert json.loads((result.adapter_dir / "adapter_config.json").read_text())["r"] == 8
    assert keys["hf"] == keys["unsloth"]
    held = {name: result.info.trainer_arguments for name, result in adapters.items()}
    assert held["hf"] == held["unsloth"] and held["hf"]["optim"] == "adamw_torch_fused"


RECIPE = {
    "optimizer": "adamw_torch",
    "weight_decay": 0.05,
    "max_grad_norm": 0.5,
    "seed": 7,
    "adam_beta2": 0.98,
}


def _built(base: Path, data: Path, tmp_path: Path, backend: str) -> Any:
    from agentbench_ts.train.backends import load_for_training
    from agentbench_ts.train.data import load_training_data
    from agentbench_ts.train.fit import build_trainer

    cfg = config(base, data, tmp_path / backend, backend=backend, **RECIPE)
    loaded = load_for_training(cfg)
    data_rows = load_training_data(cfg.dataset, cfg.split, cfg.method)
    return build_trainer(
        cfg, data_rows, loaded.model, loaded.tokenizer, device=loaded.device, work_dir=tmp_path
    )


def test_both_backends_hold_every_argument_of_the_recipe(base: Path, tmp_path: Path) -> None:
    from agentbench_ts.train.fit import effective_arguments

    data = fixed_rows(tmp_path / "data", FIXED)
    held = {
        backend: effective_arguments(_built(base, data, tmp_path, backend)) for backend in ("hf", "unsloth")
    }
    assert held["hf"] == held["unsloth"]
    args = held["hf"]
    # Unsloth's CPU path (imported for both backends here) runs AdamW with the fused kernel
    assert (args["optim"], args["weight_decay"], args["max_grad_norm"]) == ("adamw_torch_fused", 0.05, 0.5)
    assert (args["seed"], args["data_seed"], args["adam_beta2"], args["adam_beta1"]) == (7, 7, 0.98, 0.9)
    assert (args["gradient_accumulation_steps"], args["per_device_train_batch_size"]) == (1, 2)
    assert args["torch_empty_cache_steps"] is None and args["padding_free"] is False
    assert args["logging_nan_inf_filter"] is True and "output_dir" not in args


UNSLOTH_DEFAULTS = {
    "logging_nan_inf_filter": False,
    "per_device_train_batch_size": 4,
    "gradient_accumulation_steps": 2,
    "weight_decay": 0.001,
    "seed": 3407,
    "optim": "adamw_8bit",
    "learning_rate": 5e-05,
    "torch_empty_cache_steps": 250,
    "logging_steps": 1,
    "bf16": False,
    "fp16": False,
    "report_to": "none",
    "include_num_input_tokens_seen": False,
    "auto_find_batch_size": False,
    "dataloader_pin_memory": True,
    "padding_free": None,
    "warmup_steps": 0.1,
}
"""The defaults Unsloth 2026.10.9 gives its own trainer config (unsloth/models/rl.py; less one field
transformers 5.17 no longer has), which takes TRL's place when Unsloth patches TRL on a GPU."""


SWAPPED = """
import dataclasses, json, sys
from pathlib import Path
from trl.trainer import sft_config
import test_train
from agentbench_ts.train.fit import effective_arguments

fields = [
    (name, type(value) if value is not None else object, dataclasses.field(default=value))
    for name, value in test_train.UNSLOTH_DEFAULTS.items()
]
swapped = dataclasses.make_dataclass("UnslothLikeSFTConfig", fields, bases=(sft_config.SFTConfig,))
sft_config.SFTConfig = swapped
unset = swapped(output_dir="/tmp/unused")
base, data, work = (Path(arg) for arg in sys.argv[1:4])
trainer = test_train._built(base, data, work, "hf")
print(json.dumps({"class": type(trainer.args).__name__, "unset": [unset.weight_decay, unset.seed],
                  "held": effective_arguments(trainer)}))
"""


def test_a_config_swapped_for_unsloths_defaults_still_trains_the_recipe(base: Path, tmp_path: Path) -> None:
    """What Unsloth does on a GPU, forced here (in a process of its own: the swap is global): TRL's
    SFTConfig replaced by a subclass with Unsloth's defaults. Every field the recipe means is given, so
    none of those defaults reaches the trainer."""
    import subprocess
    import sys

    data = fixed_rows(tmp_path / "data", FIXED)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent), "UNSLOTH_SKIP_TORCHVISION_CHECK": "1"}
    done = subprocess.run(
        [sys.executable, "-c", SWAPPED, str(base), str(data), str(tmp_path / "work")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    assert shown["class"] == "UnslothLikeSFTConfig"
    assert shown["unset"] == [0.001, 3407]  # the swap is real: unset fields take Unsloth's values
    held = shown["held"]
    assert (held["optim"], held["weight_decay"], held["seed"], held["torch_empty_cache_steps"]) == (
        "adamw_torch_fused",
        0.05,
        7,
        None,
    )
    assert held["gradient_accumulation_steps"] == 1 and held["padding_free"] is False
    assert held["logging_nan_inf_filter"] is True and held["warmup_steps"] == 0.03


def test_a_trainer_that_lost_a_recipe_argument_is_refused() -> None:
    from types import SimpleNamespace

    from agentbench_ts.train.fit import check_recipe, recipe_arguments

    def holding(arguments: dict[str, Any]) -> Any:
        return SimpleNamespace(args=SimpleNamespace(to_dict=lambda: arguments))

    cfg = TrainConfig(method="sft", dataset=Path("d"), base="b", out_dir=Path("o"))
    held = {**recipe_arguments(cfg), "optim": "adamw_8bit", "output_dir": "/tmp/x"}
    del held["max_grad_norm"]
    expected = "it was given: max_grad_norm 1.0 -> None, optim 'adamw_torch_fused' -> 'adamw_8bit'$"
    with pytest.raises(TrainError, match=expected):
        check_recipe(holding(held), cfg)
    check_recipe(holding({**recipe_arguments(cfg), "optim": "adamw_torch"}), cfg)  # the same update
    check_recipe(holding({**recipe_arguments(cfg), "bf16": True, "padding_free": True}), cfg)  # not recipe
    with pytest.raises(TrainError, match=r"seed 0 -> 3407"):
        check_recipe(holding({**recipe_arguments(cfg), "seed": 3407}), cfg)
    with pytest.raises(TrainError, match=r"weight_decay 0.0 -> 0.001"):
        check_recipe(holding({**recipe_arguments(cfg), "weight_decay": 0.001}), cfg)


@pytest.mark.parametrize("backend", ["hf", "unsloth"])
@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        ("missing-split", r"has no split 'train'; its splits: eval"),
        ("empty", r"the 'train' split of .* is empty"),
        (
            "too-long",
            r"1 of 4 rows are longer than max_length 64 tokens \(the longest has \d+\); rows are never "
            "truncated",
        ),
        ("template", r"was extracted with chat template 000000000000, but the base renders with"),
        ("dpo-rows-for-sft", r"holds preference rows, which are for dpo, not sft"),
    ],
)
def test_bad_data_is_refused_with_a_clear_error(
    base: Path, tmp_path: Path, mutate: str, message: str, backend: str
) -> None:
    """Both backends: Unsloth's patched trainer would cut a long row to max_seq_length without a word."""
    rows = [dict(row) for row in FIXED]
    split = "eval" if mutate == "missing-split" else "train"
    if mutate == "empty":
        rows = rows[:1]
    if mutate == "too-long":
        rows[2] = {**rows[2], "completion": [{"role": "assistant", "content": ACTION * 20}]}
    if mutate == "dpo-rows-for-sft":
        rows = [{"prompt": r["prompt"], "chosen": r["completion"], "rejected": r["completion"]} for r in rows]
    data = fixed_rows(tmp_path / "data", rows, split=split)
    if mutate == "empty":
        from datasets import DatasetDict, load_from_disk

        loaded = load_from_disk(str(data / "dataset"))
        empty = DatasetDict({"train": loaded["train"].select([])})
        empty.save_to_disk(str(tmp_path / "empty" / "dataset"), num_shards={"train": 1})
        data = tmp_path / "empty"
    if mutate == "template":
        (data / "extraction.json").write_text(json.dumps({"options": {"chat_template_sha256": "0" * 64}}))
    max_length = 64 if mutate == "too-long" else 4096
    cfg = config(base, data, tmp_path / "adapter", max_length=max_length, backend=backend)
    with pytest.raises(TrainError, match=message):
        trained(cfg)
    assert not (tmp_path / "adapter").exists()


def test_a_rank_over_the_served_limit_is_refused_before_training(base: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from agentbench_ts.cli.main import main

    with pytest.raises(ValueError, match="LoRA rank 128 is over the served --max-lora-rank 64"):
        config(base, tmp_path, tmp_path / "a", lora=LoraSettings(r=128))
    argv = [
        "train",
        "sft",
        str(tmp_path),
        "--base",
        str(base),
        "--out",
        str(tmp_path / "a"),
        "--lora-r",
        "128",
    ]
    assert main(argv) == 2 and "over the served --max-lora-rank 64" in capsys.readouterr().err
    with pytest.raises(TrainError, match=r"vLLM applies LoRA to q_proj.*of qwen2; not to lm_head"):
        trained(
            config(
                base, tmp_path, tmp_path / "b", lora=LoraSettings(r=8, target_modules=("q_proj", "lm_head"))
            )
        )


def test_the_vllm_check_names_what_the_server_would_refuse_or_ignore(base: Path, tmp_path: Path) -> None:
    from agentbench_ts.train.backends import base_config
    from agentbench_ts.train.vllm_compat import adapter_problems

    def adapter(**fields: Any) -> Path:
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        folder.mkdir()
        settings = {"r": 16, "target_modules": ["q_proj", "v_proj"], "bias": "none", **fields}
        (folder / "adapter_config.json").write_text(json.dumps(settings))
        return folder

    config_of_base = base_config(str(base))
    assert adapter_problems(adapter(), config_of_base, 64) == []
    assert "over the server's --max-lora-rank 8" in adapter_problems(adapter(), config_of_base, 8)[0]
    assert "not one vLLM accepts" in adapter_problems(adapter(), config_of_base, 48)[0]
    assert (
        "vLLM cannot load replaced modules"
        in adapter_problems(adapter(modules_to_save=["lm_head"]), config_of_base, 64)[0]
    )
    assert "DoRA" in adapter_problems(adapter(use_dora=True), config_of_base, 64)[0]
    assert (
        "not to embed_tokens"
        in adapter_problems(adapter(target_modules=["embed_tokens"]), config_of_base, 64)[0]
    )
    assert "is not known here" in adapter_problems(adapter(), {"model_type": "mamba"}, 64)[0]


def test_the_canary_tells_a_no_op_adapter_from_a_trained_one(base: Path, tmp_path: Path) -> None:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from agentbench_ts.train.canary import in_process_canary

    tokenizer = AutoTokenizer.from_pretrained(base)
    no_op = get_peft_model(
        AutoModelForCausalLM.from_pretrained(base), LoraConfig(r=8, target_modules=["q_proj"])
    )
    assert not in_process_canary(no_op, tokenizer).applied  # every LoRA B matrix is zero
    data = fixed_rows(tmp_path / "data", FIXED)
    result = trained(config(base, data, tmp_path / "adapter"))
    assert result.info.canary is not None and result.info.canary.applied


def test_verify_asks_a_server_whether_it_applies_the_adapter(
    base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The completions endpoint's prompt log-probabilities, from a scripted server (it stands in for
    vLLM, which needs a GPU) that scores with the tiny base, and with the adapter for one name only."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from agentbench_ts.cli.main import main
    from agentbench_ts.testing.scripted_server import ScriptedChatServer
    from agentbench_ts.train.canary import token_logprobs

    adapter = trained(config(base, fixed_rows(tmp_path / "data", FIXED), tmp_path / "adapter")).adapter_dir
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), str(adapter)).eval()

    def score(name: str, text: str) -> list[float]:
        if name == "applied":
            return token_logprobs(model, tokenizer, [text])[0]
        with model.disable_adapter():  # the base, and a server that silently ignores the adapter
            return token_logprobs(model, tokenizer, [text])[0]

    names = ("base", "applied", "ignored")
    with ScriptedChatServer(lambda m: "", models=names, prompt_scorer=score) as server:
        verify = ["adapters", "verify", "--url", server.base_url, "applied", "--base-name", "base"]
        assert main([*verify, "--adapter-dir", str(adapter)]) == 0
        assert f"applied at {server.base_url}: applied" in capsys.readouterr().out
        [served] = read_info(adapter).served_canaries
        assert served.applied and served.where == f"{server.base_url} applied"
        assert main(["adapters", "verify", "--url", server.base_url, "ignored", "--base-name", "base"]) == 1
        assert f"ignored at {server.base_url}: NOT APPLIED" in capsys.readouterr().out


def test_checkpoint_selection_keeps_the_best_by_task_results(base: Path, tmp_path: Path) -> None:
    """Held-out tasks whose results favour the step-2 checkpoint (a stand-in model serves it): step 2 is
    kept although the last step and the lowest loss come later."""
    from safetensors.torch import load_file

    data = fixed_rows(tmp_path / "data", FIXED)
    selection = Selection(
        tasks=("plugin_demo:demo_source:held-out",),
        every=2,
        model="plugin_demo:checkpoint_model:{adapter}",
        sandbox=LocalSandboxConfig(path_env=os.environ["PATH"]),
    )
    result = trained(
        config(base, data, tmp_path / "adapter", max_steps=6, learning_rate=1e-2, selection=selection)
    )
    info = result.info
    assert [s.step for s in info.selection] == [2, 4, 6] and info.chosen_step == 2
    assert [s.resolved_rate for s in info.selection] == [1.0, 0.0, 0.0]
    losses = dict(info.curves["loss"])
    assert min(losses, key=losses.__getitem__) != 2  # loss would have picked another step
    kept = load_file(str(result.adapter_dir / "adapter_model.safetensors"))
    step2 = load_file(str(result.adapter_dir / "checkpoints" / "step-2" / "adapter_model.safetensors"))
    last = load_file(str(result.adapter_dir / "checkpoints" / "step-6" / "adapter_model.safetensors"))
    assert all((kept[k] == step2[k]).all() for k in kept) and any((kept[k] != last[k]).any() for k in kept)
