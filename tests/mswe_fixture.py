"""A small TypeScript repository expressed as a Multi-SWE-bench instance, registered with the
official package the way its 92 TypeScript repositories are: an Instance and an Image whose
Dockerfile clones the repository (a local mirror replaces the clone offline), the official
script layout (run.sh, test-run.sh, fix-run.sh) and a parse_log for node:test's spec reporter."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from conftest import QUIXBUGS

ORG, REPO = "agentbench-test", "calc"
TEST_COMMAND = "node_modules/.bin/tsc -p . && node --test --test-reporter=spec dist/test/"

FILES = {
    "package.json": '{"name": "calc", "private": true}\n',
    "tsconfig.json": (
        '{"compilerOptions": {"target": "es2020", "module": "commonjs", "outDir": "dist", "strict": true,'
        ' "esModuleInterop": true, "types": ["node"]}, "include": ["src", "test"]}\n'
    ),
    ".gitignore": "node_modules\ndist\n",
    "src/calc.ts": (
        "export function add(a: number, b: number): number {\n  return a + b;\n}\n\n"
        "export function mul(a: number, b: number): number {\n  return a + b;\n}\n"
    ),
    "test/add.test.ts": (
        'import { test } from "node:test";\nimport assert from "node:assert/strict";\n'
        'import { add } from "../src/calc";\n\n'
        'test("adds", () => assert.equal(add(2, 3), 5));\n'
        'test("adds zero", () => assert.equal(add(4, 0), 4));\n'
    ),
}
NEW_TEST = (
    'import { test } from "node:test";\nimport assert from "node:assert/strict";\n'
    'import { mul } from "../src/calc";\n\n'
    'test("multiplies", () => assert.equal(mul(2, 3), 6));\n'
)
FIXED = (
    FILES["src/calc.ts"]
    .replace("return a + b;\n}\n", "return a * b;\n}\n")
    .replace(
        "add(a: number, b: number): number {\n  return a * b;",
        "add(a: number, b: number): number {\n  return a + b;",
    )
)
BREAKS_ADD = FIXED.replace("return a + b;", "return a - b;")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def _diff(repo: Path, files: dict[str, str]) -> str:
    for rel, content in files.items():
        (repo / rel).write_text(content)
    _git(repo, "add", "-A")
    patch = _git(repo, "diff", "--cached")
    _git(repo, "reset", "--hard", "-q")
    return patch


def make_repository(root: Path) -> dict[str, Any]:
    """The mirror (a git repo at its base commit, with node_modules for offline builds) and patches."""
    repo = root / REPO
    for rel, content in FILES.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(content)
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "init")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "base")
    sha = _git(repo, "rev-parse", "HEAD").strip()
    shutil.copytree(QUIXBUGS / "toolchain" / "node_modules", repo / "node_modules", symlinks=True)
    return {
        "mirror": repo,
        "sha": sha,
        "test_patch": _diff(repo, {"test/mul.test.ts": NEW_TEST}),
        "fix_patch": _diff(repo, {"src/calc.ts": FIXED}),
        "partial_patch": _diff(repo, {"src/calc.ts": BREAKS_ADD}),
    }


def pull_request(parts: dict[str, Any], number: int = 1) -> Any:
    from multi_swe_bench.harness.pull_request import Base, PullRequest, ResolvedIssue

    return PullRequest(
        org=ORG,
        repo=REPO,
        number=number,
        state="closed",
        title="mul adds instead of multiplying",
        body="`mul(2, 3)` returns 5.",
        base=Base(label=f"{ORG}:main", ref="main", sha=parts["sha"]),
        resolved_issues=[ResolvedIssue(number=7, title="mul is wrong", body="mul(2, 3) should be 6")],
        fix_patch=parts["fix_patch"],
        test_patch=parts["test_patch"],
        lang="typescript",
    )


def register(base_image: str) -> None:
    """Register the Instance (idempotent), with images FROM our offline base."""
    from multi_swe_bench.harness.image import Config, File, Image
    from multi_swe_bench.harness.instance import Instance, TestResult
    from multi_swe_bench.harness.pull_request import PullRequest

    class CalcImage(Image):
        def __init__(self, pr: PullRequest, config: Config) -> None:
            self._pr, self._config = pr, config

        @property
        def pr(self) -> PullRequest:
            return self._pr

        @property
        def config(self) -> Config:
            return self._config

        def dependency(self) -> str:
            return base_image

        def image_prefix(self) -> str:
            return "agentbench-mswe-test"

        def image_tag(self) -> str:
            return f"pr-{self.pr.number}"

        def workdir(self) -> str:
            return f"pr-{self.pr.number}"

        def files(self) -> list[File]:
            apply = "git -C /home/calc apply --whitespace=nowarn"
            return [
                File(".", "test.patch", self.pr.test_patch),
                File(".", "run.sh", f"#!/bin/bash\ncd /home/calc\n{TEST_COMMAND}\n"),
                File(
                    ".",
                    "test-run.sh",
                    f"#!/bin/bash\ncd /home/calc\n{apply} /home/test.patch || exit 1\n{TEST_COMMAND}\n",
                ),
                File(
                    ".",
                    "fix-run.sh",
                    f"#!/bin/bash\ncd /home/calc\n{apply} /home/test.patch /home/fix.patch || exit 1\n"
                    f"{TEST_COMMAND}\n",
                ),
            ]

        def dockerfile(self) -> str:
            copies = "".join(f"COPY {f.name} /home/\n" for f in self.files())
            return (
                f"FROM {base_image}\nWORKDIR /home/\n"
                f"RUN git clone https://github.com/{ORG}/{REPO}.git /home/{REPO}\n"
                f"WORKDIR /home/{REPO}\n{copies}"
            )

    class CalcInstance(Instance):
        def __init__(self, pr: PullRequest, config: Config, *args: Any, **kwargs: Any) -> None:
            self._pr, self._config = pr, config

        @property
        def pr(self) -> PullRequest:
            return self._pr

        def dependency(self) -> Image:
            return CalcImage(self.pr, self._config)

        def run(self, run_cmd: str = "") -> str:
            return run_cmd or "bash /home/run.sh"

        def test_patch_run(self, test_patch_run_cmd: str = "") -> str:
            return test_patch_run_cmd or "bash /home/test-run.sh"

        def fix_patch_run(self, fix_patch_run_cmd: str = "") -> str:
            return fix_patch_run_cmd or "bash /home/fix-run.sh"

        def parse_log(self, log: str) -> TestResult:
            return parse_node_spec(log)

    Instance.register(ORG, REPO)(CalcInstance)


def parse_node_spec(log: str) -> Any:
    from agentbench_ts.mswe.logs import as_test_result, node_spec

    return as_test_result(node_spec(log))
