"""The Task record: everything needed to set up, run and grade one episode."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from agentbench_ts.sandbox.base import REPO_DIR, SandboxSpec

TASK_SCHEMA_VERSION = 1


class Task(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = TASK_SCHEMA_VERSION
    task_id: str = Field(description="unique across sources: '<suite>/<name>'")
    suite: str
    instructions: str = Field(description="the goal as the model reads it")
    repo_dir: Path = Field(description="the repository at its base (buggy) state")
    gold_dir: Path | None = Field(default=None, description="files that, copied over the repo, fix it")
    toolchain_dir: Path | None = Field(default=None, description="npm project with the test tooling")
    test_command: str
    test_timeout_s: float = 120.0
    fail_to_pass: tuple[str, ...]
    pass_to_pass: tuple[str, ...] = ()
    split: str | None = None
    tags: tuple[str, ...] = Field(default=(), description="labels to select tasks by (e.g. pytest markers)")
    image: str | None = Field(
        default=None, description="a built image whose image_repo_dir holds the repository (docker only)"
    )
    image_repo_dir: str = REPO_DIR
    grader: str = Field(
        default="tap",
        description="the grader's registry name: 'tap' (test_command's TAP output), 'mswe' (the "
        "Multi-SWE-bench harness on the patch), or any registered or dotted-path grader",
    )
    grader_data: dict[str, JsonValue] = Field(
        default_factory=dict, description="what the task's grader needs beyond the task (e.g. the instance)"
    )
    warm_tsc: bool = Field(
        default=False,
        description="the test command's `tsc` goes through a compiler kept warm in the sandbox (the same "
        "TypeScript, the same verdicts, faster); how it runs, not what the task is",
    )

    def gold_files(self) -> dict[str, str]:
        """Relative path -> content of every file of the gold fix."""
        if self.gold_dir is None:
            return {}
        return {
            path.relative_to(self.gold_dir).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(self.gold_dir.rglob("*"))
            if path.is_file()
        }

    def sandbox_spec(self) -> SandboxSpec:
        """What a sandbox for this task is made from."""
        return SandboxSpec(
            name=self.task_id,
            repo_dir=self.repo_dir,
            toolchain_dir=self.toolchain_dir,
            group=self.suite,
            image=self.image,
            image_repo_dir=self.image_repo_dir,
            warm_tsc=self.warm_tsc,
        )
