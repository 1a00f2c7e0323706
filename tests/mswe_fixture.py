"""Small TypeScript repositories expressed as Multi-SWE-bench instances, registered with the official
package the way its 92 TypeScript repositories are: an Instance and an Image whose Dockerfile clones
the repository (a local mirror replaces the clone offline), the official script layout (run.sh,
test-run.sh, fix-run.sh), a setup step that leaves the tree dirty (as installs that rewrite a lock
file do), and a parse_log for the repository's test runner.

- calc: node:test (spec reporter); the fix touches one function, a partial fix breaks a p2p test.
- textkit: jest (--verbose) on the compiled tests, nested describe blocks.
- querystr: a JavaScript repository (taken with --javascript) tested by mocha's spec reporter."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conftest import QUIXBUGS, REPO_ROOT

ORG = "agentbench-test"
TOOLCHAIN = QUIXBUGS / "toolchain" / "node_modules"
RUNNERS = REPO_ROOT / "tests" / "runners" / "node_modules"
TSCONFIG = (
    '{"compilerOptions": {"target": "es2020", "module": "commonjs", "outDir": "dist", "strict": true,'
    ' "esModuleInterop": true, "types": ["node"]}, "include": ["src", "test"]}\n'
)
NODE_TEST = 'import { test } from "node:test";\nimport assert from "node:assert/strict";\n'


@dataclass(frozen=True)
class SyntheticRepo:
    repo: str
    files: dict[str, str]
    test_patch: dict[str, str]
    fix: dict[str, str]
    partial: dict[str, str]
    """A fix of the f2p tests that breaks a p2p test."""
    f2p: tuple[str, ...]
    """The tests the official runs must find failing with the test patch and passing with the fix."""
    test_command: str
    parser: str
    """Name of the mswe.logs parser of the runner's output."""
    title: str
    body: str
    issue: tuple[int, str, str]
    node_modules: tuple[Path, ...] = field(default=(TOOLCHAIN,))
    lang: str = "typescript"
    windows_files: dict[str, str] = field(default_factory=dict)
    """Committed with CRLF line endings before the other files (a `.gitattributes` among those that
    declares them `text` then makes git warn about them at every `git add`)."""

    @property
    def name(self) -> str:
        return f"{ORG}/{self.repo}"


CALC_SRC = (
    "export function add(a: number, b: number): number {\n  return a + b;\n}\n\n"
    "export function mul(a: number, b: number): number {\n  return a + b;\n}\n"
)
CALC_FIXED = (
    "export function add(a: number, b: number): number {\n  return a + b;\n}\n\n"
    "export function mul(a: number, b: number): number {\n  return a * b;\n}\n"
)
CALC = SyntheticRepo(
    repo="calc",
    files={
        "package.json": '{"name": "calc", "private": true}\n',
        "tsconfig.json": TSCONFIG,
        ".gitignore": "node_modules\ndist\n",
        "src/calc.ts": CALC_SRC,
        "test/add.test.ts": (
            NODE_TEST + 'import { add } from "../src/calc";\n\n'
            'test("adds", () => assert.equal(add(2, 3), 5));\n'
            'test("adds zero", () => assert.equal(add(4, 0), 4));\n'
        ),
    },
    test_patch={
        "test/mul.test.ts": (
            NODE_TEST + 'import { mul } from "../src/calc";\n\n'
            'test("multiplies", () => assert.equal(mul(2, 3), 6));\n'
        )
    },
    fix={"src/calc.ts": CALC_FIXED},
    partial={"src/calc.ts": CALC_FIXED.replace("return a + b;", "return a - b;")},
    f2p=("multiplies",),
    test_command="node_modules/.bin/tsc -p . && node --test --test-reporter=spec dist/test/",
    parser="node_spec",
    title="mul adds instead of multiplying",
    body="`mul(2, 3)` returns 5.",
    issue=(7, "mul is wrong", "mul(2, 3) should be 6"),
)

SLUG_SRC = (
    "export function slugify(text: string): string {\n"
    '  return text.trim().split(/\\s+/).join("-");\n}\n\n'
    "export function words(text: string): number {\n"
    '  return text.trim() === "" ? 0 : text.trim().split(/\\s+/).length;\n}\n'
)
SLUG_FIXED = SLUG_SRC.replace('.join("-");', '.join("-").toLowerCase();')
TEXTKIT = SyntheticRepo(
    repo="textkit",
    files={
        "package.json": '{"name": "textkit", "private": true}\n',
        "tsconfig.json": TSCONFIG.replace('"types": ["node"]', '"types": []'),
        "jest.config.js": 'module.exports = { testMatch: ["<rootDir>/dist/test/**/*.test.js"] };\n',
        ".gitignore": "node_modules\ndist\n",
        "src/slug.ts": SLUG_SRC,
        "test/slug.test.ts": (
            "declare const describe: (name: string, body: () => void) => void;\n"
            "declare const it: (name: string, body: () => void) => void;\n"
            "declare const expect: (value: unknown) => { toBe(expected: unknown): void };\n"
            'import { slugify, words } from "../src/slug";\n\n'
            'describe("slugify", () => {\n'
            '  it("joins words with dashes", () => expect(slugify("a b  c")).toBe("a-b-c"));\n'
            '  describe("whitespace", () => {\n'
            '    it("trims the ends", () => expect(slugify("  a b ")).toBe("a-b"));\n'
            "  });\n});\n\n"
            'describe("words", () => {\n'
            '  it("counts words", () => expect(words(" one two ")).toBe(2));\n'
            "});\n"
        ),
    },
    test_patch={
        "test/case.test.ts": (
            "declare const describe: (name: string, body: () => void) => void;\n"
            "declare const it: (name: string, body: () => void) => void;\n"
            "declare const expect: (value: unknown) => { toBe(expected: unknown): void };\n"
            'import { slugify } from "../src/slug";\n\n'
            'describe("slugify", () => {\n'
            '  it("lowercases", () => expect(slugify("Hello World")).toBe("hello-world"));\n'
            "});\n"
        )
    },
    fix={"src/slug.ts": SLUG_FIXED},
    partial={"src/slug.ts": SLUG_FIXED.replace("text.trim().split", "text.split")},
    f2p=("slugify > lowercases",),
    test_command=(
        "node node_modules/typescript/bin/tsc -p . && node node_modules/jest/bin/jest.js --verbose --ci"
    ),
    parser="jest_verbose",
    title="slugify keeps capital letters",
    body='`slugify("Hello World")` gives `Hello-World`; slugs should be lower case.',
    issue=(3, "Slugs are case sensitive", "Two titles that differ only in case get different slugs."),
    node_modules=(RUNNERS, TOOLCHAIN),
)
PARSE_SRC = (
    'exports.parse = (query) =>\n  Object.fromEntries(query.split("&").map((pair) => pair.split("=")));\n'
)
PARSE_FIXED = PARSE_SRC.replace(
    'pair.split("=")', 'pair.split("=").map((part) => decodeURIComponent(part.replace(/\\+/g, " ")))'
)
MOCHA_HEAD = 'const assert = require("node:assert/strict");\nconst { parse } = require("../src/parse");\n\n'
QUERYSTR = SyntheticRepo(
    repo="querystr",
    files={
        "package.json": '{"name": "querystr", "private": true}\n',
        ".gitignore": "node_modules\n",
        "src/parse.js": PARSE_SRC,
        "test/parse.test.js": (
            MOCHA_HEAD + 'describe("parse", () => {\n'
            '  it("splits pairs", () => assert.deepEqual(parse("a=1&b=2"), { a: "1", b: "2" }));\n'
            '  it("reads one pair", () => assert.deepEqual(parse("k=v"), { k: "v" }));\n'
            "});\n"
        ),
    },
    test_patch={
        "test/decode.test.js": (
            MOCHA_HEAD + 'describe("parse", () => {\n  describe("encoding", () => {\n'
            '    it("decodes escapes", () => assert.deepEqual(parse("q=a%20b+c"), { q: "a b c" }));\n'
            "  });\n});\n"
        )
    },
    fix={"src/parse.js": PARSE_FIXED},
    partial={"src/parse.js": PARSE_FIXED.replace('query.split("&")', 'query.split("&&")')},
    f2p=("parse > encoding > decodes escapes",),
    test_command="node node_modules/mocha/bin/mocha.js --reporter spec test/",
    parser="mocha_spec",
    title="parse leaves percent escapes in values",
    body='`parse("q=a%20b")` gives `{ q: "a%20b" }`.',
    issue=(12, "Encoded values are not decoded", "Form posts use + for spaces and %XX escapes."),
    node_modules=(RUNNERS,),
    lang="javascript",
)
REPOS = (CALC, TEXTKIT, QUERYSTR)
CRLF_CALC = SyntheticRepo(
    **{
        **CALC.__dict__,
        "repo": "crlfcalc",
        "files": {**CALC.files, ".gitattributes": "*.md text\n*.txt text\n"},
        "windows_files": {"README.md": "# calc\n\nWritten on Windows.\n", "docs/notes.txt": "one\ntwo\n"},
    }
)
"""calc with files committed with Windows line endings, later declared `text`: the checkout keeps CRLF,
and git warns on stderr that it will replace them at every `git add`."""

VITEST_HEAD = (
    'import { describe, it, expect } from "vitest";\nimport { mean, total } from "../src/stats";\n\n'
)
STATS_SRC = (
    "export function total(xs: number[]): number {\n  return xs.reduce((a, b) => a + b, 0);\n}\n\n"
    "export function mean(xs: number[]): number {\n  return total(xs) / (xs.length + 1);\n}\n"
)
STATS_FIXED = STATS_SRC.replace("(xs.length + 1)", "xs.length")
VITEKIT = SyntheticRepo(
    repo="vitekit",
    files={
        "package.json": '{"name": "vitekit", "private": true}\n',
        ".gitignore": "node_modules\n",
        "src/stats.ts": STATS_SRC,
        "test/total.test.ts": (
            VITEST_HEAD + 'describe("stats", () => {\n'
            '  it("totals", () => expect(total([1, 2, 3])).toBe(6));\n'
            '  it("totals nothing", () => expect(total([])).toBe(0));\n'
            "});\n"
        ),
    },
    test_patch={
        "test/mean.test.ts": (
            VITEST_HEAD + 'describe("stats", () => {\n  describe("mean", () => {\n'
            '    it("averages", () => expect(mean([2, 4])).toBe(3));\n'
            "  });\n});\n"
        )
    },
    fix={"src/stats.ts": STATS_FIXED},
    partial={"src/stats.ts": STATS_FIXED.replace("reduce((a, b) => a + b, 0)", "reduce((a, b) => a + b, 1)")},
    f2p=("stats > mean > averages",),
    test_command="node node_modules/vitest/vitest.mjs run --reporter=verbose test/",
    parser="vitest_verbose",
    title="mean divides by one too many",
    body="`mean([2, 4])` is 2.\n\nFixes #12",
    issue=(12, "mean is off", "The mean of [2, 4] should be 3."),
    node_modules=(RUNNERS,),
)
"""A vitest repository whose registered spec was written for jest (see `jest_written_parse`)."""


def jest_written_parse(log: str) -> Any:
    """A parse_log written for jest's output (`✓ name (5 ms)`, `✕ name (5 ms)`), as an official spec
    for another runner has it: on vitest's output it reads the passes but no failure (vitest marks
    them with U+00D7), so no test is ever seen failing and none is fail-to-pass."""
    import re

    from agentbench_ts.mswe.logs import Verdicts, as_test_result, plain

    verdicts = Verdicts()
    for mark, status in (("✓", "passed"), ("✕", "failed")):
        pattern = rf"^\s*{mark}\s+(.+?)(?:\s+\(\d+\s*ms\))?\s*$"
        getattr(verdicts, status).update(re.findall(pattern, plain(log), re.MULTILINE))
    return as_test_result(verdicts.settled())


def merged_commit(parts: dict[str, Any], message: str) -> tuple[Path, str, str]:
    """(repository, base, merged): the pull request's test and fix patches committed on the base, with
    `message`; the repository is left checked out at the base."""
    repo: Path = parts["mirror"]
    for patch in (parts["test_patch"], parts["fix_patch"]):
        subprocess.run(["git", "apply", "-"], cwd=repo, input=patch, text=True, check=True)
    _git(repo, "add", "src", "test")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", message)
    merged = _git(repo, "rev-parse", "HEAD").strip()
    _git(repo, "checkout", "-q", parts["sha"])
    return repo, parts["sha"], merged


def offline_base() -> str:
    """The tag of our offline base image (what `agentbench sandbox build-base` builds)."""
    from agentbench_ts.sandbox.config import ImageConfig
    from agentbench_ts.sandbox.docker.bootstrap import BootstrapRecipe

    return BootstrapRecipe.load(ImageConfig().recipes / "base" / "bootstrap.json").tag()


def user_vitekit_spec() -> type:
    """The spec a user writes for agentbench-test/vitekit: vitest's own reader as its parse_log, and
    its language; not registered (a plug-in registers it)."""
    spec = one_image_spec("vitekit", offline_base(), *repository_spec(offline_base(), VITEKIT))
    spec.language = "typescript"  # type: ignore[attr-defined]
    return spec


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def _diff(repo: Path, files: dict[str, str]) -> str:
    for rel, content in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(content)
    _git(repo, "add", "-A")
    patch = _git(repo, "diff", "--cached")
    _git(repo, "reset", "--hard", "-q")
    _git(repo, "clean", "-fdq")
    return patch


def _install(modules: tuple[Path, ...], target: Path) -> None:
    """node_modules for offline builds: the first folder whole, the others' packages added."""
    shutil.copytree(modules[0], target, symlinks=True)
    for extra in modules[1:]:
        for package in extra.iterdir():
            if not (target / package.name).exists():
                shutil.copytree(package, target / package.name, symlinks=True)


def make_repository(root: Path, spec: SyntheticRepo = CALC) -> dict[str, Any]:
    """The mirror (a git repo at its base commit, with node_modules for offline builds) and patches."""
    repo = root / spec.repo
    repo.mkdir(parents=True)
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "init")
    if spec.windows_files:
        for rel, content in spec.windows_files.items():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            (repo / rel).write_bytes(content.replace("\n", "\r\n").encode())
        _git(repo, "add", "-A")
        _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "from windows")
    for rel, content in spec.files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(content)
    _git(repo, "add", "--", *spec.files)  # not -A: the Windows files stay as they were committed
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "base")
    sha = _git(repo, "rev-parse", "HEAD").strip()
    _install(spec.node_modules, repo / "node_modules")
    return {
        "spec": spec,
        "mirror": repo,
        "sha": sha,
        "test_patch": _diff(repo, spec.test_patch),
        "fix_patch": _diff(repo, spec.fix),
        "partial_patch": _diff(repo, spec.partial),
    }


def pull_request(parts: dict[str, Any], number: int = 1) -> Any:
    from multi_swe_bench.harness.pull_request import Base, PullRequest, ResolvedIssue

    spec: SyntheticRepo = parts["spec"]
    issue_number, issue_title, issue_body = spec.issue
    return PullRequest(
        org=ORG,
        repo=spec.repo,
        number=number,
        state="closed",
        title=spec.title,
        body=spec.body,
        base=Base(label=f"{ORG}:main", ref="main", sha=parts["sha"]),
        resolved_issues=[ResolvedIssue(number=issue_number, title=issue_title, body=issue_body)],
        fix_patch=parts["fix_patch"],
        test_patch=parts["test_patch"],
        lang=spec.lang,
    )


def parse_with(parser: str) -> Callable[[str], Any]:
    from agentbench_ts.mswe import logs

    read: Callable[[str], logs.Verdicts] = getattr(logs, parser)
    return lambda log: logs.as_test_result(read(log))


def parse_node_spec(log: str) -> Any:
    return parse_with("node_spec")(log)


def one_image_spec(
    repo: str,
    base_image: str,
    files: Callable[[Any], list[Any]],
    dockerfile: Callable[[Any], str],
    parse: Callable[[str], Any],
) -> type:
    """An Instance class (not registered) for ORG/repo whose one image is built FROM `base_image` with
    `files(pr)` and `dockerfile(pr)`, the official script layout, and `parse` as its parse_log."""
    from multi_swe_bench.harness.image import Config, Image
    from multi_swe_bench.harness.instance import Instance, TestResult
    from multi_swe_bench.harness.pull_request import PullRequest

    class SyntheticImage(Image):
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

        def files(self) -> list[Any]:
            return files(self.pr)

        def dockerfile(self) -> str:
            return dockerfile(self.pr)

    class SyntheticInstance(Instance):
        def __init__(self, pr: PullRequest, config: Config, *args: Any, **kwargs: Any) -> None:
            self._pr, self._config = pr, config

        @property
        def pr(self) -> PullRequest:
            return self._pr

        def dependency(self) -> Image:
            return SyntheticImage(self.pr, self._config)

        def run(self, run_cmd: str = "") -> str:
            return run_cmd or "bash /home/run.sh"

        def test_patch_run(self, test_patch_run_cmd: str = "") -> str:
            return test_patch_run_cmd or "bash /home/test-run.sh"

        def fix_patch_run(self, fix_patch_run_cmd: str = "") -> str:
            return fix_patch_run_cmd or "bash /home/fix-run.sh"

        def parse_log(self, log: str) -> TestResult:
            return parse(log)

    return SyntheticInstance


def register_one_image(
    repo: str,
    base_image: str,
    files: Callable[[Any], list[Any]],
    dockerfile: Callable[[Any], str],
    parse: Callable[[str], Any],
    *,
    name: str | None = None,
) -> None:
    """Register ORG/NAME (NAME: the repository, or a range such as calc_20_to_10; again: replaced)
    as `one_image_spec(...)`."""
    from multi_swe_bench.harness.instance import Instance

    key = name or repo
    Instance._registry.pop(f"{ORG}/{key}", None)
    Instance.register(ORG, key)(one_image_spec(repo, base_image, files, dockerfile, parse))


def repository_spec(
    base_image: str, spec: SyntheticRepo = CALC, parse: Callable[[str], Any] | None = None
) -> tuple[Callable[[Any], list[Any]], Callable[[Any], str], Callable[[str], Any]]:
    """files, dockerfile and parse_log of the repository's official-style spec, FROM `base_image`."""
    from multi_swe_bench.harness.image import File

    home = f"/home/{spec.repo}"

    def files(pr: Any) -> list[Any]:
        apply = f"git -C {home} apply --whitespace=nowarn"
        return [
            File(".", "fix.patch", pr.fix_patch),
            File(".", "test.patch", pr.test_patch),
            File(".", "run.sh", f"#!/bin/bash\ncd {home}\n{spec.test_command}\n"),
            File(
                ".",
                "test-run.sh",
                f"#!/bin/bash\ncd {home}\n{apply} /home/test.patch || exit 1\n{spec.test_command}\n",
            ),
            File(
                ".",
                "fix-run.sh",
                f"#!/bin/bash\ncd {home}\n{apply} /home/test.patch /home/fix.patch || exit 1\n"
                f"{spec.test_command}\n",
            ),
        ]

    def dockerfile(pr: Any) -> str:
        copies = "".join(f"COPY {f.name} /home/\n" for f in files(pr))
        # The setup leaves a tracked file changed, as an install that rewrites a lock file does.
        return (
            f"FROM {base_image}\nWORKDIR /home/\n"
            f"RUN git clone https://github.com/{ORG}/{spec.repo}.git {home}\n"
            f"WORKDIR {home}\n{copies}"
            f"RUN git -C {home} checkout -q {pr.base.sha} && echo '{{\"lockfileVersion\": 3}}' "
            f"> {home}/package.json\n"
        )

    return files, dockerfile, parse or parse_with(spec.parser)


def register(
    base_image: str,
    spec: SyntheticRepo = CALC,
    parse: Callable[[str], Any] | None = None,
    name: str | None = None,
) -> None:
    """Register the repository's Instance (idempotent), with images FROM our offline base and the
    repository's language; `parse` replaces the parser its runner needs, `name` registers it for a
    range (calc_20_to_10)."""
    from multi_swe_bench.harness.instance import Instance

    register_one_image(spec.repo, base_image, *repository_spec(base_image, spec, parse), name=name)
    Instance._registry[f"{ORG}/{name or spec.repo}"].language = spec.lang
