"""The experiment config: the README's example loads, and a mistake in one names its place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agentbench_ts.errors import ConfigError
from agentbench_ts.rounds.config import load_experiment

README = Path(__file__).parents[1] / "README.md"


def readme_experiment() -> str:
    found = re.search(r"## Rounds.*?```toml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert found, "the README's rounds section lost its experiment.toml"
    return found.group(1)


def test_the_readme_example_loads_with_paths_made_absolute(tmp_path: Path) -> None:
    (tmp_path / "experiment.toml").write_text(readme_experiment())
    config = load_experiment(tmp_path)
    assert config.serve.kind == "vllm" and config.rounds == 3 and config.train.lora.r == 32
    assert config.teachers.runs == (tmp_path.resolve() / "traces" / "gpt-oss-20b",)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("[train]", "[train]\nlearning_rat = 1"), "train.learning_rat: Extra inputs are not permitted"),
        (('kind = "vllm"', 'kind = "tgi"'), "serve.kind: Input should be 'hf', 'vllm' or 'openai'"),
        (("rounds = 3", "rounds = [3"), "is not valid TOML"),
    ],
)
def test_a_mistake_names_its_place(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    (tmp_path / "experiment.toml").write_text(readme_experiment().replace(*change, 1))
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_experiment(tmp_path)


def test_a_folder_without_a_config_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"has no experiment\.toml"):
        load_experiment(tmp_path)
