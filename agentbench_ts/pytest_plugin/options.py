"""The plugin's options: `agentbench run`'s flags, each as `--agentbench-NAME`, also read from the pytest
ini (`agentbench_NAME = ...`) or from `[tool.agentbench]` in pyproject.toml (`NAME = ...`).
The command line wins over the ini, the ini over pyproject.toml, pyproject.toml over the default."""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import pytest

from agentbench_ts.agent.config import AgentConfig
from agentbench_ts.runner.flags import add_episode_flags, add_model_flags, add_sandbox_flags, add_task_flags

PREFIX = "agentbench"
NOT_FOR_PYTEST = frozenset({"concurrency", "help"})
"""xdist's -n runs items in parallel; episodes within a process run one at a time."""


def flag_parser() -> argparse.ArgumentParser:
    """The flags as `agentbench run` defines them, plus the plugin's own."""
    parser = argparse.ArgumentParser(add_help=False)
    add_task_flags(parser)
    add_model_flags(parser)
    add_sandbox_flags(parser)
    add_episode_flags(parser, AgentConfig().test_policy)
    own = parser.add_argument_group("pytest")
    own.add_argument(
        "--rerun-failed",
        action="store_true",
        help="run recorded failures and harness errors again, as new samples (else they are reported "
        "from the store)",
    )
    own.add_argument(
        "--gold-reruns",
        type=int,
        default=0,
        metavar="K",
        help="first run each task's gold fix K times; a task whose verdict changes is flaky (its items "
        "are marked xfail)",
    )
    return parser


def _actions() -> list[argparse.Action]:
    return [a for a in flag_parser()._actions if a.option_strings and a.dest not in NOT_FOR_PYTEST]


def _kind(action: argparse.Action) -> str:
    if isinstance(action, argparse._StoreTrueAction):
        return "store_true"
    if isinstance(action, argparse._AppendAction):
        return "append"
    return "store"


_INI_TYPES: dict[str, Literal["bool", "linelist", "string"]] = {
    "store_true": "bool",
    "append": "linelist",
    "store": "string",
}


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup(PREFIX, "agentbench_ts: tasks as pytest items")
    group.addoption(
        f"--{PREFIX}",
        action="store_true",
        dest=PREFIX,
        help="collect the task items named in the ini or pyproject.toml ([tool.agentbench] tasks)",
    )
    for action in _actions():
        names = [f"--{PREFIX}-{name[2:]}" for name in action.option_strings]
        kind = _kind(action)
        extra: dict[str, Any] = (
            {} if kind == "store_true" else {"type": action.type, "metavar": action.metavar}
        )
        if action.choices is not None:
            extra["choices"] = action.choices
        group.addoption(
            *names, action=kind, dest=f"{PREFIX}_{action.dest}", default=None, help=action.help, **extra
        )
        parser.addini(
            f"{PREFIX}_{action.dest}",
            f"the default of --{PREFIX}-{action.option_strings[0][2:]}",
            type=_INI_TYPES[kind],
            default=None,  # so an option the ini does not set reads as None
        )


def _pyproject_table(rootpath: Path) -> dict[str, Any]:
    path = rootpath / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get(PREFIX, {})
    except tomllib.TOMLDecodeError as exc:
        raise pytest.UsageError(f"{path} is not valid TOML: {exc}") from exc
    return {str(key).replace("-", "_"): value for key, value in table.items()}


def _converted(action: argparse.Action, value: Any, where: str) -> Any:
    kind = _kind(action)
    try:
        if kind == "append":
            values = [value] if isinstance(value, str) else list(value)
            return [action.type(v) if action.type else v for v in values]  # type: ignore[operator]
        if kind == "store_true":
            if not isinstance(value, bool):
                raise TypeError("true or false")
            return value
        return action.type(value) if action.type and value is not None else value  # type: ignore[operator]
    except (TypeError, ValueError) as exc:
        raise pytest.UsageError(f"{where}: {action.dest} = {value!r} is not valid ({exc})") from exc


def resolve_options(config: pytest.Config) -> argparse.Namespace:
    """Every flag's value, named as `agentbench run` names it (args.model, args.samples, ...)."""
    table = _pyproject_table(config.rootpath)
    actions = _actions()
    unknown = sorted(set(table) - {a.dest for a in actions})
    if unknown:
        raise pytest.UsageError(f"[tool.{PREFIX}] in pyproject.toml: unknown option(s) {', '.join(unknown)}")
    values: dict[str, Any] = {name: None for name in NOT_FOR_PYTEST}
    for action in actions:
        value = config.getoption(f"{PREFIX}_{action.dest}")
        ini_name = f"{PREFIX}_{action.dest}"
        in_ini = config.getini(ini_name)
        if value is None and in_ini is not None:
            value = _converted(action, in_ini, f"ini option {ini_name}")
        if value is None and action.dest in table:
            value = _converted(action, table[action.dest], f"[tool.{PREFIX}] in pyproject.toml")
        values[action.dest] = action.default if value is None else value
    return argparse.Namespace(**values)


def requested(config: pytest.Config, options: argparse.Namespace) -> bool:
    """Task items are collected when task sources are named on the command line, or with --agentbench."""
    on_command_line = config.getoption(f"{PREFIX}_tasks") or config.getoption(f"{PREFIX}_suite")
    return bool(on_command_line or (config.getoption(PREFIX) and (options.tasks or options.suite)))


def command(config: pytest.Config) -> Sequence[str]:
    return ("pytest", *config.invocation_params.args)
