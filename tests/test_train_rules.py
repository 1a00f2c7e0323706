"""The training package's rules that need no model: the recipe each trainer is given and checked against,
row formats and lengths, the adapter metadata, the canary's threshold, vLLM's limits, the backend
choice and refusals, checkpoint choice by task results (with data that tells the orders apart), and the
statistics taken from a finished trainer. test_train.py trains tiny models for the rest."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from agentbench_ts.errors import TrainError
from agentbench_ts.train import backends, fit
from agentbench_ts.train.adapter import (
    LIBRARIES,
    METADATA_FILE,
    AdapterInfo,
    CheckpointScore,
    TrainStats,
    check_template,
    describe,
    library_versions,
    parent_record,
    read_info,
    tokenizer_sha256,
)
from agentbench_ts.train.canary import APPLIED_ABOVE, CanaryResult, compare, server_canary
from agentbench_ts.train.config import LoraSettings, TrainConfig
from agentbench_ts.train.data import TrainingData, conversations, load_training_data
from agentbench_ts.train.selection import CheckpointSelector, _last_loss
from agentbench_ts.train.vllm_compat import (
    VLLM_MAX_LORA_RANKS,
    adapter_problems,
    rank_problems,
    require_servable,
    target_problems,
)


def config(tmp_path: Path, **overrides: Any) -> TrainConfig:
    return TrainConfig(
        method="sft",
        dataset=tmp_path / "data",
        base=str(tmp_path / "base"),
        out_dir=tmp_path / "out",
        **overrides,
    )


# --- the recipe ----------------------------------------------------------------------------------------


def test_every_recipe_field_reaches_its_trainer_argument(tmp_path: Path) -> None:
    recipe = fit.recipe_arguments(
        config(
            tmp_path,
            batch_size=3,
            grad_accum=5,
            learning_rate=2e-4,
            optimizer="adamw_torch",
            weight_decay=0.01,
            max_grad_norm=0.5,
            adam_beta1=0.8,
            adam_beta2=0.95,
            adam_epsilon=1e-6,
            lr_scheduler="linear",
            warmup_ratio=0.1,
            epochs=2.0,
            max_steps=7,
            seed=11,
        )
    )
    assert recipe == {
        "per_device_train_batch_size": 3,
        "gradient_accumulation_steps": 5,
        "learning_rate": 2e-4,
        "optim": "adamw_torch",
        "weight_decay": 0.01,
        "max_grad_norm": 0.5,
        "adam_beta1": 0.8,
        "adam_beta2": 0.95,
        "adam_epsilon": 1e-6,
        "lr_scheduler_type": "linear",
        "warmup_steps": 0.1,
        "num_train_epochs": 2.0,
        "max_steps": 7,
        "seed": 11,
        "data_seed": 11,
        "auto_find_batch_size": False,
    }


@pytest.mark.parametrize(
    ("device", "checkpointing", "expected"),
    [
        (
            "cuda",
            "on",
            {"bf16": True, "gradient_checkpointing": True, "use_cpu": False, "dataloader_pin_memory": True},
        ),
        (
            "cuda",
            "off",
            {"bf16": True, "gradient_checkpointing": False, "use_cpu": False, "dataloader_pin_memory": True},
        ),
        (
            "cpu",
            "on",
            {"bf16": False, "gradient_checkpointing": False, "use_cpu": True, "dataloader_pin_memory": False},
        ),
    ],
)
def test_device_dependent_arguments(
    tmp_path: Path, device: str, checkpointing: str, expected: dict[str, Any]
) -> None:
    arguments = fit._common(
        config(tmp_path, gradient_checkpointing=checkpointing, logging_steps=3), device, tmp_path
    )
    assert {key: arguments[key] for key in expected} == expected
    assert {
        key: arguments[key]
        for key in (
            "fp16",
            "max_length",
            "padding_free",
            "torch_empty_cache_steps",
            "output_dir",
            "logging_steps",
        )
    } == {
        "fp16": False,
        "max_length": None,
        "padding_free": False,
        "torch_empty_cache_steps": None,
        "output_dir": str(tmp_path / "trainer"),
        "logging_steps": 3,
    }
    assert {key: arguments[key] for key in ("save_strategy", "report_to", "logging_nan_inf_filter")} == {
        "save_strategy": "no",
        "report_to": "none",
        "logging_nan_inf_filter": True,
    }
    assert (
        arguments["include_num_input_tokens_seen"],
        arguments["dataset_num_proc"],
        arguments["disable_tqdm"],
    ) == (
        "non_padding",
        None,
        True,
    )


def held_trainer(arguments: dict[str, Any], name: str = "SFTTrainer") -> Any:
    """A stand-in holding arguments as a trainer does (`trainer.args.to_dict()`), named as one."""
    kind = type(name, (), {})
    trainer = kind()
    trainer.args = SimpleNamespace(to_dict=lambda: dict(arguments))
    return trainer


def test_a_trainer_holding_the_recipe_passes_and_the_fused_adamw_counts_as_adamw(tmp_path: Path) -> None:
    cfg = config(tmp_path, optimizer="adamw_torch")
    fit.check_recipe(held_trainer(fit.recipe_arguments(cfg)), cfg)
    fit.check_recipe(held_trainer({**fit.recipe_arguments(cfg), "optim": "adamw_torch_fused"}), cfg)


@pytest.mark.parametrize(
    ("key", "held"),
    [("optim", "adamw_8bit"), ("weight_decay", 0.001), ("seed", 3407), ("gradient_accumulation_steps", 2)],
)
def test_a_trainer_that_changed_one_recipe_argument_is_refused_naming_it(
    tmp_path: Path, key: str, held: Any
) -> None:
    cfg = config(tmp_path)
    wanted = fit.recipe_arguments(cfg)[key]
    with pytest.raises(TrainError) as refused:
        fit.check_recipe(held_trainer({**fit.recipe_arguments(cfg), key: held}, "UnslothSFTTrainer"), cfg)
    assert str(refused.value) == (
        f"the UnslothSFTTrainer does not train the recipe it was given: {key} {wanted!r} -> {held!r}"
    )


def test_a_trainer_missing_recipe_arguments_is_refused_listing_them_in_order(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    held = {k: v for k, v in fit.recipe_arguments(cfg).items() if k not in ("seed", "adam_beta1")}
    with pytest.raises(TrainError, match=r"recipe it was given: adam_beta1 0\.9 -> None, seed 0 -> None$"):
        fit.check_recipe(held_trainer(held), cfg)


def test_effective_arguments_are_json_safe_sorted_and_without_local_folders() -> None:
    held = held_trainer(
        {
            "seed": 1,
            "optim": "adamw",
            "output_dir": "/x",
            "logging_dir": "/y",
            "b": None,
            "a": [1, 2],
            "c": 0.5,
        }
    )
    assert list(fit.effective_arguments(held).items()) == [
        ("a", "[1, 2]"),
        ("b", None),
        ("c", 0.5),
        ("optim", "adamw"),
        ("seed", 1),
    ]


def test_progress_lines_show_the_loss_and_dpo_margins_only() -> None:
    lines: list[str] = []
    callback = fit.LogLines(lines.append)
    state = SimpleNamespace(global_step=3, max_steps=10)
    callback.on_log(None, state, None, logs={"loss": 1.23456, "learning_rate": 0.1})
    callback.on_log(None, state, None, logs={"loss": 0.5, "rewards/margins": 0.125})
    callback.on_log(None, state, None, logs={"train_loss": 0.9, "loss": 0.9})
    callback.on_log(None, state, None, logs={"grad_norm": 2.0})
    callback.on_log(None, state, None, logs=None)
    assert lines == ["step 3/10: loss 1.235", "step 3/10: loss 0.5, rewards/margins 0.125"]


# --- rows and lengths ------------------------------------------------------------------------------------


def test_rows_as_trl_tokenized_them_are_counted_per_format() -> None:
    from datasets import Dataset

    sft = Dataset.from_dict({"input_ids": [[1, 2, 3], [1]], "completion_mask": [[0, 1, 1], [1]]})
    assert fit.row_lengths(sft) == [3, 1]
    dpo = Dataset.from_dict(
        {"prompt_ids": [[1, 2], [1]], "chosen_ids": [[3], [4, 5, 6]], "rejected_ids": [[7, 8, 9, 10], [1]]}
    )
    assert fit.row_lengths(dpo) == [2 + 4, 1 + 3]
    older = Dataset.from_dict({"prompt_input_ids": [[1]], "chosen_ids": [[2, 3]], "rejected_ids": [[4]]})
    assert fit.row_lengths(older) == [3]


def test_rows_up_to_max_length_pass_and_one_token_more_is_refused_with_counts() -> None:
    fit.check_lengths([16, 3, 16], 16)
    with pytest.raises(TrainError) as refused:
        fit.check_lengths([17, 3, 20, 16], 16)
    assert str(refused.value).startswith(
        "2 of 4 rows are longer than max_length 16 tokens (the longest has 20); rows are never truncated"
    )


def save_rows(folder: Path, rows: list[dict[str, Any]], splits: tuple[str, ...] = ("train",)) -> Path:
    from datasets import Dataset, DatasetDict

    data = DatasetDict({name: Dataset.from_list(rows) for name in splits})
    data.save_to_disk(str(folder / "dataset"))
    return folder


PC_ROW = {
    "prompt": [{"role": "user", "content": "p"}],
    "completion": [{"role": "assistant", "content": "c"}],
    "task_id": "t",
}
PREF_ROW = {
    "prompt": [{"role": "user", "content": "p"}],
    "chosen": [{"role": "assistant", "content": "good"}],
    "rejected": [{"role": "assistant", "content": "bad"}],
}
MSG_ROW = {"messages": [{"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}]}


def test_the_row_format_is_read_from_the_columns_and_must_suit_the_method(tmp_path: Path) -> None:
    pc = save_rows(tmp_path / "pc", [PC_ROW])
    (pc / "extraction.json").write_text(
        json.dumps(
            {
                "kind": "sft",
                "inputs": [{"run_dir": "r"}],
                "per_split": {"train": 1},
                "options": {"chat_template_sha256": "abc"},
            }
        )
    )
    data = load_training_data(pc, "train", "sft")
    assert (data.format, data.chat_template_sha256) == ("prompt-completion", "abc")
    assert {
        k: data.fingerprint[k]
        for k in ("path", "split", "rows", "format", "kind", "inputs", "extraction_per_split")
    } == {
        "path": str(pc.resolve()),
        "split": "train",
        "rows": 1,
        "format": "prompt-completion",
        "kind": "sft",
        "inputs": [{"run_dir": "r"}],
        "extraction_per_split": {"train": 1},
    }
    assert len(data.fingerprint["arrow_sha256"]) == 64
    assert load_training_data(save_rows(tmp_path / "m", [MSG_ROW]), "train", "sft").format == "messages"
    pref = load_training_data(save_rows(tmp_path / "p", [PREF_ROW]), "train", "dpo")
    assert (pref.format, pref.chat_template_sha256, pref.fingerprint["kind"]) == ("preference", None, None)
    with pytest.raises(TrainError, match=r"holds preference rows, which are for dpo, not sft$"):
        load_training_data(tmp_path / "p", "train", "sft")
    with pytest.raises(TrainError, match=r"holds prompt-completion rows, which are for sft, not dpo$"):
        load_training_data(pc, "train", "dpo")


def test_rows_that_fit_no_format_name_their_columns(tmp_path: Path) -> None:
    folder = save_rows(tmp_path / "x", [{"text": "a", "prompt": []}])
    with pytest.raises(
        TrainError, match=r"has columns \['prompt', 'text'\]: expected prompt\+completion or messages"
    ):
        load_training_data(folder, "train", "sft")


def test_the_arrow_fingerprint_follows_the_rows(tmp_path: Path) -> None:
    one = load_training_data(save_rows(tmp_path / "a", [PC_ROW]), "train", "sft").fingerprint["arrow_sha256"]
    same = load_training_data(save_rows(tmp_path / "b", [PC_ROW]), "train", "sft").fingerprint["arrow_sha256"]
    other_row = {**PC_ROW, "task_id": "u"}
    other = load_training_data(save_rows(tmp_path / "c", [other_row]), "train", "sft").fingerprint[
        "arrow_sha256"
    ]
    assert one == same != other


def test_conversations_are_whole_per_format_up_to_the_limit() -> None:
    from datasets import Dataset

    pc = TrainingData(Dataset.from_list([PC_ROW, {**PC_ROW, "task_id": "u"}, PC_ROW]), "prompt-completion")
    assert conversations(pc, 2) == [[*PC_ROW["prompt"], *PC_ROW["completion"]]] * 2
    assert len(conversations(pc, 99)) == 3
    pref = TrainingData(Dataset.from_list([PREF_ROW]), "preference")
    assert conversations(pref, 5) == [
        [*PREF_ROW["prompt"], *PREF_ROW["chosen"]],
        [*PREF_ROW["prompt"], *PREF_ROW["rejected"]],
    ]
    msgs = TrainingData(Dataset.from_list([MSG_ROW]), "messages")
    assert conversations(msgs, 1) == [MSG_ROW["messages"]]


# --- the adapter's metadata -------------------------------------------------------------------------------


def test_the_tokenizer_hash_covers_each_file_by_name(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "tokenizer.json").write_text("{}")
    first = tokenizer_sha256(tmp_path / "a")
    (tmp_path / "a" / "unrelated.txt").write_text("x")
    assert tokenizer_sha256(tmp_path / "a") == first
    (tmp_path / "a" / "chat_template.jinja").write_text("{{ x }}")
    with_template = tokenizer_sha256(tmp_path / "a")
    assert with_template != first
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "tokenizer_config.json").write_text("{}")  # the same bytes under another name
    assert tokenizer_sha256(tmp_path / "b") != first


def test_a_parent_is_recorded_by_path_and_the_hashes_of_what_it_holds(tmp_path: Path) -> None:
    assert parent_record(None) is None
    parent = tmp_path / "parent"
    parent.mkdir()
    assert parent_record(parent) == {"path": str(parent.resolve())}
    (parent / "adapter_model.safetensors").write_bytes(b"weights")
    (parent / METADATA_FILE).write_text("{}")
    record = parent_record(parent)
    assert record is not None and set(record) == {"path", "weights_sha256", "metadata_sha256"}
    assert record["weights_sha256"] != record["metadata_sha256"]


def test_a_dataset_made_with_another_template_is_refused() -> None:
    import hashlib

    tokenizer = SimpleNamespace(chat_template="{{ messages }}")
    mine = hashlib.sha256(b"{{ messages }}").hexdigest()
    check_template(tokenizer, None, Path("d"))
    check_template(tokenizer, mine, Path("d"))
    with pytest.raises(
        TrainError,
        match=rf"^d was extracted with chat template 000000000000, but the base renders with {mine[:12]}:",
    ):
        check_template(tokenizer, "0" * 64, Path("d"))
    with pytest.raises(TrainError, match="but the base renders with none:"):
        check_template(SimpleNamespace(), "0" * 64, Path("d"))


def test_metadata_is_read_back_or_its_absence_named(tmp_path: Path) -> None:
    with pytest.raises(
        TrainError, match=rf"{tmp_path} has no {METADATA_FILE}: it was not made by agentbench train"
    ):
        read_info(tmp_path)


def test_library_versions_name_every_library_and_none_for_what_is_missing() -> None:
    found = library_versions()
    assert list(found) == list(LIBRARIES)
    assert found["torch"] is not None and found["bitsandbytes"] is None


def info(tmp_path: Path, **overrides: Any) -> AdapterInfo:
    fields: dict[str, Any] = {
        "created_at": "now",
        "base": "/models/base",
        "base_config_sha256": "c" * 64,
        "model_type": "qwen2",
        "chat_template_sha256": "t" * 64,
        "tokenizer_sha256": "k" * 64,
        "dataset": {"rows": 12, "format": "prompt-completion", "split": "train", "path": "/data"},
        "parent_adapter": None,
        "config": config(tmp_path, lora=LoraSettings(r=8, alpha=16, target_modules=("q_proj", "v_proj"))),
        "backend": "hf",
        "device": "cpu",
        "versions": {"torch": "2.13", "unsloth": None},
        "git_sha": None,
        "curves": {"loss": [(1, 2.5), (2, 1.25)]},
        "stats": TrainStats(
            wall_s=3.0,
            train_runtime_s=2.0,
            steps=2,
            tokens_seen=400,
            tokens_per_s=200.0,
            peak_memory_bytes=3 << 30,
            peak_memory_kind="rss",
        ),
        **overrides,
    }
    return AdapterInfo(**fields)


def test_describe_reads_most_useful_first(tmp_path: Path) -> None:
    lines = describe(info(tmp_path)).splitlines()
    assert lines == [
        f"base            /models/base (qwen2, config {'c' * 12})",
        "method          sft on 12 prompt-completion rows (train of /data)",
        "backend         hf on cpu, none quantization, LoRA r=8 alpha=16 on q_proj, v_proj",
        "parent          - (fresh from the base)",
        f"chat template   {'t' * 12}",
        "loss            2.5000 -> 1.2500 over 2 steps",
        "throughput      200 tokens/s (400 tokens in 2.0 s)",
        "peak memory     3.00 GiB (rss)",
        "versions        torch 2.13",
        "command         -",
    ]


def test_describe_adds_the_parent_canaries_and_the_selection(tmp_path: Path) -> None:
    canary = CanaryResult(where="in-process", applied=True, max_abs_diff=0.25, mean_abs_diff=0.1, tokens=30)
    ignored = CanaryResult(
        where="http://h/v1 r1", applied=False, max_abs_diff=0.0, mean_abs_diff=0.0, tokens=30
    )
    scores = [CheckpointScore(step=2, loss=1.0, resolved_rate=0.5, valid_action_rate=0.75, episodes=4)]
    text = describe(
        info(
            tmp_path,
            parent_adapter={"path": "/adapters/r1"},
            chat_template_sha256=None,
            curves={},
            canary=canary,
            served_canaries=[ignored],
            selection=scores,
            chosen_step=2,
            command=["agentbench", "train"],
        )
    )
    assert (
        "parent          /adapters/r1" in text
        and "chat template   none" in text
        and "loss            -" in text
    )
    assert "canary          applied (max |dlogp| 0.25 over 30 tokens)" in text
    assert "served          NOT APPLIED by http://h/v1 r1 (max |dlogp| 0)" in text
    assert "selection       step 2 chosen (resolved/valid by step: 2: 0.50/0.75)" in text
    assert text.endswith("command         agentbench train")
    unapplied = describe(info(tmp_path, canary=ignored.model_copy(update={"where": "in-process"})))
    assert "canary          NOT APPLIED" in unapplied


# --- the canary ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("difference", "applied"),
    [
        (0.0, False),
        (APPLIED_ABOVE * 0.999, False),
        (APPLIED_ABOVE, False),
        (APPLIED_ABOVE * 1.001, True),
        (0.5, True),
    ],
)
def test_the_canary_counts_an_adapter_applied_only_past_the_noise_threshold(
    difference: float, applied: bool
) -> None:
    result = compare("w", [[-1.0, 0.0], [-3.0]], [[-1.0, -difference], [-3.0]])
    assert result.applied is applied and result.max_abs_diff == pytest.approx(difference)


def test_the_canary_reports_the_largest_and_mean_difference_over_all_tokens() -> None:
    result = compare("where", [[0.0, 0.0], [0.0, 0.0, 0.0]], [[0.5, -1.0], [0.0, 0.25, 0.0]])
    assert result == CanaryResult(
        where="where", applied=True, max_abs_diff=1.0, mean_abs_diff=1.75 / 5, tokens=5
    )
    assert compare("w", [], []) == CanaryResult(
        where="w", applied=False, max_abs_diff=0.0, mean_abs_diff=0.0, tokens=0
    )
    with pytest.raises(ValueError, match="zip"):
        compare("w", [[0.0, 1.0]], [[0.0]])


def test_a_served_canary_scores_each_text_under_the_base_and_the_adapter() -> None:
    asked: list[tuple[str, str]] = []

    def score(model: str, text: str) -> list[float]:
        asked.append((model, text))
        return [-1.0, -2.0] if model == "base" else [-1.0, -2.5]

    result = server_canary(score, "base", "r1", "http://h/v1 r1", texts=("one", "two"))
    assert asked == [("base", "one"), ("base", "two"), ("r1", "one"), ("r1", "two")]
    assert (result.where, result.applied, result.max_abs_diff, result.tokens) == (
        "http://h/v1 r1",
        True,
        0.5,
        4,
    )


# --- vLLM's limits ------------------------------------------------------------------------------------------


def test_targets_vllm_serves_per_architecture() -> None:
    assert target_problems("qwen2", ["q_proj", "down_proj"]) == []
    assert target_problems("gpt_oss", ["q_proj", "up_proj", "gate_proj"]) == [
        "vLLM applies LoRA to q_proj, k_proj, v_proj, o_proj of gpt_oss; not to gate_proj, up_proj"
    ]
    [unknown] = target_problems("mamba", ["q_proj"])
    assert unknown.startswith(
        "vLLM LoRA support for model type 'mamba' is not known here (known: llama, mistral"
    )


@pytest.mark.parametrize(
    ("rank", "limit", "problems"),
    [
        (64, 64, []),
        (65, 64, ["rank 65 is over the server's --max-lora-rank 64"]),
        (8, 48, [f"--max-lora-rank 48 is not one vLLM accepts ({VLLM_MAX_LORA_RANKS})"]),
    ],
)
def test_ranks_within_the_servers_limit(rank: int, limit: int, problems: list[str]) -> None:
    assert rank_problems(rank, limit) == problems


def adapter_folder(
    tmp_path: Path, tensors: tuple[str, ...] = ("base_model.q_proj.lora_A.weight",), **config_fields: Any
) -> Path:
    import torch
    from safetensors.torch import save_file

    folder = tmp_path / "adapter"
    folder.mkdir(exist_ok=True)
    (folder / "adapter_config.json").write_text(
        json.dumps({"r": 8, "target_modules": ["q_proj"], **config_fields})
    )
    save_file({name: torch.zeros(1) for name in tensors}, str(folder / "adapter_model.safetensors"))
    return folder


def test_a_servable_adapter_has_no_problems(tmp_path: Path) -> None:
    assert (
        adapter_problems(adapter_folder(tmp_path, target_modules="q_proj"), {"model_type": "llama"}, 16) == []
    )


def test_every_thing_vllm_would_refuse_or_ignore_in_a_saved_adapter_is_named(tmp_path: Path) -> None:
    folder = adapter_folder(
        tmp_path,
        ("base_model.model.embed_tokens.weight", "base_model.lm_head.weight"),
        r=32,
        target_modules=["q_proj", "conv"],
        modules_to_save=["lm_head"],
        use_dora=True,
        bias="all",
    )
    assert adapter_problems(folder, {"model_type": "qwen2"}, 16) == [
        "rank 32 is over the server's --max-lora-rank 16",
        "vLLM applies LoRA to q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj of qwen2; "
        "not to conv",
        "modules_to_save ['lm_head']: vLLM cannot load replaced modules",
        "DoRA adapters are not served by vLLM",
        "bias='all': vLLM loads no LoRA bias terms",
        "the adapter carries base_model.lm_head.weight (and so on): resized vocabularies are not served",
    ]
    assert adapter_problems(tmp_path / "none", {}, 16) == [f"{tmp_path / 'none'} has no adapter_config.json"]


def test_problems_stop_the_run_with_all_of_them() -> None:
    require_servable([], "x")
    with pytest.raises(TrainError, match=r"^vLLM would not apply the adapter: one; two$"):
        require_servable(["one", "two"], "the adapter")


# --- backends --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "cuda", "installed", "chosen"),
    [
        ("auto", True, True, "unsloth"),
        ("auto", True, False, "hf"),
        ("auto", False, True, "hf"),
        ("hf", True, True, "hf"),
        ("unsloth", False, False, "unsloth"),
    ],
)
def test_the_backend_is_the_one_asked_for_or_unsloth_on_a_gpu_where_installed(  # noqa: PLR0917
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, asked: str, cuda: bool, installed: bool, chosen: str
) -> None:
    monkeypatch.setattr(backends.importlib.util, "find_spec", lambda name: object() if installed else None)
    assert backends.choose_backend(config(tmp_path, backend=asked), cuda=cuda) == chosen


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"device": "cuda"}, "--device cuda was asked for, but no CUDA GPU is visible"),
        ({"quantization": "4bit"}, "4-bit QLoRA needs a CUDA GPU"),
        (
            {"gradient_checkpointing": "offload", "backend": "hf"},
            "--gradient-checkpointing offload is Unsloth's",
        ),
    ],
)
def test_what_this_machine_cannot_train_is_refused_before_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, overrides: dict[str, Any], message: str
) -> None:
    monkeypatch.setattr(backends, "cuda_available", lambda: False)
    with pytest.raises(TrainError, match=message):
        backends.load_for_training(config(tmp_path, **overrides))


def test_a_base_must_be_a_local_model_folder(tmp_path: Path) -> None:
    with pytest.raises(
        TrainError, match=rf"no model config at {tmp_path / 'config.json'}: --base must be a local"
    ):
        backends.base_config(str(tmp_path))
    (tmp_path / "config.json").write_text('{"model_type": "qwen2"}')
    assert backends.base_config(str(tmp_path)) == {"model_type": "qwen2"}


def test_the_rank_is_checked_against_the_served_limit_when_configured(tmp_path: Path) -> None:
    config(tmp_path, lora=LoraSettings(r=64), max_lora_rank=64)
    with pytest.raises(
        ValueError, match="LoRA rank 65 is over the served --max-lora-rank 64: vLLM would refuse"
    ):
        config(tmp_path, lora=LoraSettings(r=65), max_lora_rank=64)


# --- checkpoint choice -------------------------------------------------------------------------------------


class SavedModel:
    """Saves as a PEFT model does (a file in the folder), so the checkpoint folders are real."""

    def save_pretrained(self, folder: str) -> None:
        (Path(folder) / "adapter_model.safetensors").write_bytes(b"w")


def selector(tmp_path: Path, results: dict[int, tuple[float, float]], every: int = 2) -> CheckpointSelector:
    def evaluate(checkpoint: Path, step: int) -> tuple[float, float, int]:
        assert (checkpoint / "adapter_model.safetensors").is_file() and checkpoint.name == f"step-{step}"
        return (*results[step], 10)

    tokenizer = SimpleNamespace(save_pretrained=lambda folder: None)
    return CheckpointSelector(every, tmp_path / "checkpoints", tokenizer, evaluate)


def steps(chooser: CheckpointSelector, last: int, history: list[dict[str, Any]] | None = None) -> None:
    for step in range(1, last + 1):
        state = SimpleNamespace(global_step=step, log_history=history or [])
        chooser.on_step_end(None, state, None, model=SavedModel())
    chooser.on_train_end(
        None, SimpleNamespace(global_step=last, log_history=history or []), None, model=SavedModel()
    )


@pytest.mark.parametrize(
    ("results", "best"),
    [
        ({2: (0.5, 0.1), 4: (0.4, 0.9), 5: (0.3, 1.0)}, 2),  # resolved first, whatever the valid actions
        ({2: (0.5, 0.7), 4: (0.5, 0.9), 5: (0.5, 0.8)}, 4),  # then valid actions
        ({2: (0.5, 0.9), 4: (0.5, 0.9), 5: (0.2, 0.9)}, 4),  # then the later step
    ],
)
def test_the_checkpoint_kept_is_best_by_resolved_then_valid_actions_then_the_later_step(
    tmp_path: Path, results: dict[int, tuple[float, float]], best: int
) -> None:
    chooser = selector(tmp_path, results)
    steps(chooser, 5)
    assert [score.step for score in chooser.scores] == [2, 4, 5]
    assert chooser.best().step == best


def test_the_last_step_is_scored_once_even_when_it_is_a_multiple(tmp_path: Path) -> None:
    chooser = selector(tmp_path, {3: (0.1, 0.1), 6: (0.2, 0.2)}, every=3)
    history = [{"loss": 2.0, "step": 1}, {"learning_rate": 0.1}, {"loss": 1.5, "step": 6}]
    steps(chooser, 6, history)
    assert [(s.step, s.loss, s.resolved_rate, s.valid_action_rate, s.episodes) for s in chooser.scores] == [
        (3, 1.5, 0.1, 0.1, 10),
        (6, 1.5, 0.2, 0.2, 10),
    ]
    assert _last_loss([{"learning_rate": 1.0}]) is None


# --- what a finished trainer gives -------------------------------------------------------------------------


def test_statistics_and_curves_come_from_the_trainers_state() -> None:
    history = [
        {"loss": 2.0, "learning_rate": 0.1, "grad_norm": 1.5, "step": 1},
        {"loss": 1.0, "rewards/margins": 0.5, "rewards/accuracies": 0.75, "step": 2, "other": 9.0},
        {"train_loss": 1.5, "loss": 1.5, "step": 2},
    ]
    trainer = SimpleNamespace(
        train=lambda: SimpleNamespace(metrics={"train_runtime": 4.0}),
        state=SimpleNamespace(num_input_tokens_seen=1000, global_step=2, log_history=history),
    )
    stats, curves = fit.train(trainer, "cpu")
    assert curves == {
        "loss": [(1, 2.0), (2, 1.0)],
        "learning_rate": [(1, 0.1)],
        "grad_norm": [(1, 1.5)],
        "rewards/margins": [(2, 0.5)],
        "rewards/accuracies": [(2, 0.75)],
    }
    assert (stats.train_runtime_s, stats.steps, stats.tokens_seen, stats.tokens_per_s) == (
        4.0,
        2,
        1000,
        250.0,
    )
    assert stats.peak_memory_kind == "rss" and stats.peak_memory_bytes > 1 << 20 and stats.wall_s >= 0


def test_a_trainer_without_a_runtime_or_tokens_reports_its_wall_time_and_no_rate() -> None:
    trainer = SimpleNamespace(
        train=lambda: SimpleNamespace(metrics={}),
        state=SimpleNamespace(num_input_tokens_seen=None, global_step=0, log_history=[]),
    )
    stats, curves = fit.train(trainer, "cpu")
    assert curves == {} and stats.tokens_seen == 0 and stats.tokens_per_s == 0.0
    assert stats.train_runtime_s == stats.wall_s
