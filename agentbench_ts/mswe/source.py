"""`mswe:INSTANCES.jsonl`: Multi-SWE-bench instances as tasks of any run (Docker only).

Options: `languages=typescript,javascript` (default typescript), `mirror=ORG/REPO=PATH` (repeatable:
a local mirror replaces cloning), `network` (the image builds may use it: `auto`, or
`network=none|host|default|auto`), `pull` (official prebuilt images first), `rebuild`,
`bases=auto|official|stand-in` (official bases, or local stand-ins where docker lacks them),
`gold=false` (no gold files: for grading patches, not the oracle), `spec_module=pkg.mod` (repeatable:
modules that register the users' specs, imported before the records are read).
Instances that cannot be prepared (an image that does not build, a gold patch that does not apply)
are skipped and reported; the run writes predictions.jsonl and final_report.json as the official
harness does."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, JsonValue, field_validator

from agentbench_ts.errors import ConfigError, SandboxError
from agentbench_ts.mswe.bases import base_substitutions
from agentbench_ts.mswe.config import BuildOptions
from agentbench_ts.mswe.instances import LANGUAGES, load_instances
from agentbench_ts.mswe.results import write_results
from agentbench_ts.mswe.tasks import SUITE, prepare_tasks, task_id
from agentbench_ts.registry import CommaList, parse_options
from agentbench_ts.sandbox.config import DockerSandboxConfig
from agentbench_ts.sandbox.docker.bootstrap import BootstrapRecipe
from agentbench_ts.sandbox.docker.images import BuildNetwork
from agentbench_ts.tasks.sources import LoadedTasks, RecordedEpisode, SourceContext

JAVASCRIPT_HINT = " (JavaScript ones too: --javascript, or languages=typescript,javascript in a spec)"


class MsweOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    languages: CommaList = ("typescript",)
    mirror: CommaList = ()
    """ORG/REPO=PATH of local checkouts that replace `git clone`."""
    network: bool | BuildNetwork = False
    """True means `auto`."""
    pull: bool = False
    bases: Literal["auto", "official", "stand-in"] = "auto"
    rebuild: bool = False
    gold: bool = True
    spec_module: CommaList = ()
    """Modules that register users' specs (`Instance.register`), imported before records are read."""

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if unknown := sorted(set(value) - set(LANGUAGES)):
            raise ValueError(f"unknown language(s) {unknown}; known: {', '.join(LANGUAGES)}")
        return value

    def build(self, context: SourceContext) -> BuildOptions:
        mirrors: dict[str, Path] = {}
        for entry in self.mirror:
            name, sep, path = entry.partition("=")
            if not sep or "/" not in name or not path:
                raise ConfigError(f"mswe option mirror={entry!r}: write ORG/REPO=PATH")
            mirrors[name] = context.path(path)
        network: BuildNetwork = (
            "auto" if self.network is True else "none" if self.network is False else self.network
        )
        sandbox = context.sandbox
        offline_base = None
        if isinstance(sandbox, DockerSandboxConfig):
            with contextlib.suppress(SandboxError):
                offline_base = BootstrapRecipe.load(sandbox.images.recipes / "base" / "bootstrap.json").tag()
        return BuildOptions(
            network=network,
            mirrors=mirrors,
            pull=self.pull,
            rebuild=self.rebuild,
            bases=self.bases,
            offline_base=offline_base,
            cache_dir=context.cache_dir,
            log=context.log,
        )


class MsweSource:
    def __init__(self, path: Path, options: MsweOptions, context: SourceContext) -> None:
        if not isinstance(context.sandbox, DockerSandboxConfig):
            raise ConfigError("Multi-SWE-bench instances run in instance images: use the docker sandbox")
        self.path, self.options, self._context = path, options, context
        self.records: list[Any] = []
        self.substitutions: dict[str, str] = {}

    def load(self) -> LoadedTasks:
        from agentbench_ts.sandbox.docker.client import docker_client  # noqa: PLC0415
        from agentbench_ts.sandbox.docker.workspace import WorkspaceCopies  # noqa: PLC0415

        self.records = load_instances(self.path, self.options.languages, self.options.spec_module)
        if not self.records:
            hint = "" if "javascript" in self.options.languages else JAVASCRIPT_HINT
            raise ConfigError(f"{self.path} holds no {' or '.join(self.options.languages)} instances{hint}")
        client = docker_client()
        assert isinstance(self._context.sandbox, DockerSandboxConfig)
        workspaces = WorkspaceCopies(client, self._context.sandbox.images.workspaces)
        self._context.log(f"preparing {len(self.records)} Multi-SWE-bench instance(s) (images, start states)")
        tasks, skipped = prepare_tasks(
            client, self.records, self.options.build(self._context), workspaces, gold=self.options.gold
        )
        self.substitutions = base_substitutions(client, self.records)
        return LoadedTasks(tasks, skipped)

    def write_results(
        self, episodes: Sequence[RecordedEpisode], skipped: Mapping[str, str], out_dir: Path
    ) -> list[Path]:
        by_task = {task_id(record, SUITE): record for record in self.records}
        unprepared = sorted(str(by_task[key].id) for key in skipped if key in by_task)
        return write_results(
            episodes, self.records, out_dir, unprepared=unprepared, substitutions=self.substitutions
        )


def mswe_source(argument: str, options: Mapping[str, JsonValue], context: SourceContext) -> MsweSource:
    if not argument:
        raise ConfigError("the mswe source needs a file: mswe:INSTANCES.jsonl")
    return MsweSource(
        context.path(argument), parse_options(MsweOptions, options, "task source 'mswe'"), context
    )
