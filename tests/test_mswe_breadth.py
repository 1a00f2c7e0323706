"""The breadth check (benchmarks/mswe_breadth.py) over the official registry and over specs a test
registers: every TypeScript/JavaScript spec is surveyed once, and each verdict follows its rule."""

from __future__ import annotations

import runpy
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from mswe_fixture import ORG, register_one_image

from agentbench_ts.mswe import specs

from conftest import REPO_ROOT, mswe_specs_restored

BREADTH = runpy.run_path(str(REPO_ROOT / "benchmarks" / "mswe_breadth.py"))


@pytest.fixture
def registry() -> Iterator[dict[str, Any]]:
    with mswe_specs_restored() as found:
        yield found


def _spec(registry: dict[str, Any], repo: str, base: str, body: str, *, name: str | None = None) -> Any:
    register_one_image(
        repo, base, lambda pr: [], lambda pr: f"FROM {base}\n{body}", lambda _: None, name=name
    )
    registry[f"{ORG}/{name or repo}"].language = "typescript"
    [found] = [spec for spec in specs.registered_specs(f"{ORG}/{repo}") if spec.name == (name or repo)]
    return BREADTH["survey"](found)


CLONE = "RUN git clone https://github.com/agentbench-test/{repo}.git /home/{repo}\n"


@pytest.mark.parametrize(
    ("base", "body", "verdict"),
    [
        ("node:20", "RUN echo built\n", "offline"),
        ("node:20", CLONE + "RUN cd /home/x && npm ci\n", "build network"),
        (
            "ubuntu:22.04",
            "RUN apt-get update && apt-get install -y nodejs\nRUN pip install six\n",
            "build network",
        ),
        ("node:20", "RUN curl -fsSL https://deb.nodesource.com/setup_20.x | bash -\n", "fetches from url"),
        ("node:20", "RUN git clone https://github.com/other/tool.git /opt/tool\n", "fetches from url"),
        ("node:20-alpine", "RUN npm ci\n", "no stand-in for node:20-alpine"),
        (
            "node:20",
            "FROM python:3.11 AS py\nFROM node:20\nCOPY --from=py /x /x\n",
            "no stand-in for python:3.11",
        ),
        ("node:20", "FROBNICATE all\n", "does not parse: unknown instructions ['FROBNICATE']"),
        ("node:20", "ENV ONLY_A_NAME\n", "does not parse: ENV must have two arguments"),
    ],
)
def test_each_verdict_follows_its_rule(registry: dict[str, Any], base: str, body: str, verdict: str) -> None:
    found = _spec(registry, "x", base, body.replace("{repo}", "x"))
    assert found.verdict.startswith(verdict), found


def test_a_recorded_setup_counts_as_the_build_does(registry: dict[str, Any]) -> None:
    from multi_swe_bench.harness.image import File

    setup = (
        "ls\n###ACTION_DELIMITER###\ncurl -o- https://raw.githubusercontent.com/nvm-sh/nvm/install.sh | bash"
    )
    register_one_image(
        "y",
        "node:20",
        lambda pr: [File(".", "prepare.sh", setup)],
        lambda pr: "FROM node:20\n",
        lambda _: None,
    )
    registry[f"{ORG}/y"].language = "typescript"
    [spec] = specs.registered_specs(f"{ORG}/y")
    found = BREADTH["survey"](spec)
    assert found.replayed == 2 and found.verdict == "fetches from url"


def test_a_range_spec_is_surveyed_as_the_repository_its_image_clones(registry: dict[str, Any]) -> None:
    found = _spec(
        registry, "some-tool", "node:18", CLONE.replace("{repo}", "some-tool"), name="some_tool_9_to_1"
    )
    assert found.repo == "some-tool" and found.verdict == "offline" and found.bases == ["node:18"]


def test_every_official_spec_is_surveyed(
    capsys: pytest.CaptureFixture[str], registry: dict[str, Any]
) -> None:
    for key in [key for key, spec in registry.items() if not spec.__module__.startswith("multi_swe_bench.")]:
        del registry[key]  # the survey is of the package's registry
    surveys = BREADTH["main"]([])
    out = capsys.readouterr().out
    assert len(surveys) == 418 and out.startswith(
        "418 TypeScript/JavaScript specs (57 plain, 361 for a PR range)"
    )
    verdicts = [found.verdict for found in surveys]
    assert "Dockerfiles: 418 of 418 parse" in out and not [v for v in verdicts if v.startswith("not made")]
    assert any(v == "no stand-in for node:20-alpine" for v in verdicts)
    assert sum(v == "build network" for v in verdicts) + sum(v == "offline" for v in verdicts) >= 200
    assert sum(found.replayed > 0 for found in surveys) == 361  # every range spec records its setup
    marked = next(found for found in surveys if found.spec.key == "markedjs/marked")
    assert marked.bases == ["node:20"] and marked.tools == ["npm"] and marked.verdict == "build network"
    assert sys.modules.get("dockerfile") is not None
