"""How instance images are built where no registry or GitHub can be reached: base stand-ins, bare
mirrors for clone-style and COPY-style specs, repository tarballs from mirrors, the host's trust for
networked builds, quiet install failures caught, flaky tests, and instances made from commits."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from mswe_fixture import CALC, ORG, make_repository, register, register_one_image

from agentbench_ts.errors import SandboxError, TaskDataError
from agentbench_ts.mswe.config import BuildOptions, HarnessConfig
from agentbench_ts.mswe.flaky import varying, without
from agentbench_ts.mswe.images import ensure_instance_image
from agentbench_ts.mswe.make_instance import PullRequestSource, make_instance
from agentbench_ts.mswe.mirrors import locked_repository_tarballs, tarball_from_mirror, working_clone
from agentbench_ts.mswe.specs import create_instance
from agentbench_ts.sandbox.config import DockerLimits
from agentbench_ts.sandbox.docker.standins import ensure_stand_in, stand_in_spec
from agentbench_ts.sandbox.docker.trust import CA_PATH, BuildTrust

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]


def _git(repo: Path, *argv: str) -> str:
    return subprocess.run([*GIT, *argv], cwd=repo, capture_output=True, text=True, check=True).stdout


def _result(passed: set[str], failed: set[str] = frozenset()) -> Any:  # type: ignore[assignment]
    from multi_swe_bench.harness.instance import TestResult

    return TestResult(len(passed), len(failed), 0, set(passed), set(failed), set())


def test_tests_whose_verdict_differs_between_runs_are_flaky_and_left_out() -> None:
    runs = [_result({"a", "timing"}), _result({"a"}, {"timing"}), _result({"a", "timing", "late"})]
    assert varying(runs) == {"timing", "late"}
    assert varying(runs[:1]) == set()
    kept = without(runs[1], {"timing"})
    assert kept.passed_tests == {"a"} and kept.failed_tests == set() and kept.failed_count == 0


@pytest.mark.parametrize(
    ("official", "kind", "node"),
    [
        ("node:20", "node", "20"),
        ("node:18-bullseye", "node", "18"),
        ("node:20.11.1-bookworm-slim", "node", "20.11.1"),
        ("docker.io/library/node:22", "node", "22"),
        ("node:iron", "node", "20"),
        ("node", "node", "*"),
        ("ubuntu:22.04", "distro", ""),
        ("ubuntu:latest", "distro", ""),
    ],
)
def test_official_bases_map_to_stand_ins(official: str, kind: str, node: str) -> None:
    spec = stand_in_spec(official)
    assert spec is not None and (spec.kind, spec.node_range) == (kind, node)


@pytest.mark.parametrize("official", ["node:20-alpine", "python:3.11", "node:lts-alpine3.19"])
def test_bases_without_a_debian_userland_have_no_stand_in(official: str) -> None:
    assert stand_in_spec(official) is None


def test_trust_goes_after_every_from_and_proxies_stay_out_of_the_dockerfile(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    trust = BuildTrust(ca, {"HTTPS_PROXY": "http://127.0.0.1:3128"}, "http://127.0.0.1:4873/")
    dockerfile, context = trust.apply("FROM a AS build\nRUN npm ci\nFROM b\nRUN true\n")
    lines = dockerfile.splitlines()
    assert lines[0] == "FROM a AS build" and lines[1].startswith("COPY agentbench-ca.pem")
    assert lines.count(f"ENV NODE_EXTRA_CA_CERTS={CA_PATH}") == 2
    assert "ENV npm_config_registry=http://127.0.0.1:4873/" in lines and "PROXY" not in dockerfile
    assert context == {"agentbench-ca.pem": ca}
    assert BuildTrust().apply("FROM a\n") == ("FROM a\n", {})


def _legacy_tarball_repo(tmp_path: Path) -> tuple[Path, str]:
    repo = tmp_path / "dep"
    (repo / "lib").mkdir(parents=True)
    (repo / "package.json").write_text('{"name": "dep", "version": "1.0.0"}\n')
    (repo / "lib" / "index.js").write_text("module.exports = 1;\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "one")
    _git(repo, "tag", "v1.0.0")
    sha = _git(repo, "rev-parse", "HEAD").strip()
    bare = tmp_path / "dep.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(bare)], check=True)
    return bare, sha


def test_a_locked_repository_tarball_is_rebuilt_from_the_mirror_and_verified(tmp_path: Path) -> None:
    bare, sha = _legacy_tarball_repo(tmp_path)
    tar = subprocess.run(
        ["git", "archive", "--format=tar", f"--prefix=someorg-dep-{sha[:7]}/", "v1.0.0"],
        cwd=bare,
        capture_output=True,
        check=True,
    ).stdout
    gz = subprocess.run(["gzip", "-n"], input=tar, capture_output=True, check=True).stdout
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(gz).digest()).decode()
    lock = {
        "packages": {
            "": {"name": "app"},
            "node_modules/dep": {
                "resolved": "https://github.com/someorg/dep/tarball/v1.0.0",
                "integrity": integrity,
            },
            "node_modules/other": {"resolved": "https://registry.npmjs.org/other/-/other-1.0.0.tgz"},
        }
    }
    [locked] = locked_repository_tarballs(json.dumps(lock))
    assert (locked.org, locked.repo, locked.ref) == ("someorg", "dep", "v1.0.0")
    clone = working_clone(bare, "someorg", "dep", tmp_path / "cache")
    assert tarball_from_mirror(clone, locked) == gz
    wrong = locked.__class__(locked.name, "someorg", "dep", "v1.0.0", "sha512-" + "A" * 86 + "==")
    assert tarball_from_mirror(clone, wrong) is None  # nothing that does not match the lock is used


def _register_style(base_image: str, repo: str, dockerfile: str) -> None:
    """An instance of ORG/repo whose one image is `dockerfile` (formatted with pr and base)."""
    register_one_image(
        repo,
        base_image,
        lambda pr: [],
        lambda pr: dockerfile.format(pr=pr, base=base_image),
        lambda _: _result(set()),
    )


def _pr(repo: str, sha: str, number: int = 1) -> Any:
    from multi_swe_bench.harness.pull_request import Base, PullRequest

    return PullRequest(ORG, repo, number, "closed", "t", "", Base("x", "main", sha), [], "", "")


def _in_image(client: Any, image: str, command: str) -> str:
    return str(
        client.containers.run(image, ["bash", "-c", command], remove=True, network_mode="none").decode()
    )


@pytest.mark.docker
@pytest.mark.parametrize(
    ("style", "step"),
    [
        ("copy", "COPY {pr.repo} /home/{pr.repo}"),
        ("clone", "RUN git clone https://github.com/{pr.org}/{pr.repo}.git /home/{pr.repo}"),
    ],
)
def test_copy_and_clone_style_specs_build_from_a_bare_mirror(
    style: str, step: str, docker_client: Any, task_images: Any, tmp_path: Path
) -> None:
    bare, sha = _legacy_tarball_repo(tmp_path)
    repo = f"style-{style}"
    _register_style(task_images.base(), repo, "FROM {base}\nWORKDIR /home/\n" + step + "\n")
    options = BuildOptions(mirrors={f"{ORG}/{repo}": bare}, cache_dir=tmp_path / "cache")
    image = ensure_instance_image(docker_client, create_instance(_pr(repo, sha)), options)
    shown = _in_image(docker_client, image, f"cd /home/{repo} && git rev-parse HEAD && cat lib/index.js")
    assert shown.split() == [sha, "module.exports", "=", "1;"]
    with pytest.raises(SandboxError, match="give a mirror"):
        _register_style(task_images.base(), "copy-no-mirror", "FROM {base}\nCOPY {pr.repo} /home/{pr.repo}\n")
        ensure_instance_image(docker_client, create_instance(_pr("copy-no-mirror", sha)), BuildOptions())


@pytest.mark.docker
@pytest.mark.slow
def test_stand_ins_have_the_node_major_their_official_tag_names(
    docker_client: Any, task_images: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    cache = tmp_path_factory.getbasetemp() / "stand-in-cache"
    for official, major in [("node:18", 18), ("node:20", 20), ("node:22", 22), ("node:24", 24)]:
        ref = ensure_stand_in(docker_client, official, task_images.base(), cache)
        shown = _in_image(
            docker_client, ref, "node --version; npm --version; yarn --version; corepack --version"
        )
        node, npm, yarn, _corepack = shown.split()
        assert node.startswith(f"v{major}."), (official, shown)
        assert int(npm.split(".")[0]) >= 10 and yarn.startswith("1.")
    ubuntu = ensure_stand_in(docker_client, "ubuntu:22.04", task_images.base(), cache)
    assert "apt-get" in _in_image(docker_client, ubuntu, "command -v apt-get")
    with pytest.raises(SandboxError, match="no stand-in for the base image node:20-alpine"):
        ensure_stand_in(docker_client, "node:20-alpine", task_images.base(), cache)


QUIET_INSTALL = (
    "FROM node:20\nWORKDIR /home/\nCOPY {pr.repo} /home/{pr.repo}\n"
    "RUN cd /home/{pr.repo} && (npm install --no-audit --no-fund --fetch-retries=0 || true)\n"
)


@pytest.mark.docker
@pytest.mark.slow
def test_an_install_that_fails_behind_or_true_is_an_image_error_until_its_cause_is_fixed(
    docker_client: Any, task_images: Any, tmp_path: Path
) -> None:
    """Offline, `npm install || true` "succeeds" without node_modules: an image error, not an image.
    With the build network (a changed recipe) it builds; --rebuild builds it again."""
    repo = tmp_path / "quiet"
    repo.mkdir()
    (repo / "package.json").write_text('{"name": "quiet", "dependencies": {"is-number": "7.0.0"}}\n')
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "one")
    _register_style("node:20", "quiet", QUIET_INSTALL)
    instance = create_instance(_pr("quiet", _git(repo, "rev-parse", "HEAD").strip()))
    options = BuildOptions(
        mirrors={f"{ORG}/quiet": repo}, offline_base=task_images.base(), cache_dir=tmp_path / "cache"
    )
    with pytest.raises(SandboxError, match=r"image error: .*1 declared dependencies .*is-number"):
        ensure_instance_image(docker_client, instance, options)
    assert not docker_client.images.list(name=str(instance.name()))  # removed, never reused
    online = replace(options, network="auto")
    image = ensure_instance_image(docker_client, instance, online)
    assert "is-number" in _in_image(docker_client, image, "ls /home/quiet/node_modules")
    labels = docker_client.images.get(image).labels
    assert labels["agentbench.base_substitution"].startswith("node:20 -> agentbench/stand-in-node-20:")
    first = docker_client.images.get(image).id
    assert ensure_instance_image(docker_client, instance, online) == image
    assert docker_client.images.get(image).id == first  # current: reused
    ensure_instance_image(docker_client, instance, replace(online, rebuild=True))
    assert docker_client.images.get(image).id != first


@pytest.mark.docker
def test_make_instance_splits_the_change_and_refuses_one_without_fail_to_pass_tests(
    docker_client: Any, task_images: Any, tmp_path: Path
) -> None:
    register(task_images.base())
    parts = make_repository(tmp_path / "made")
    repo: Path = parts["mirror"]
    base = parts["sha"]
    for patch in (parts["test_patch"], parts["fix_patch"]):
        subprocess.run(["git", "apply", "-"], cwd=repo, input=patch, text=True, check=True)
    _git(repo, "add", "src", "test")
    _git(repo, "commit", "-q", "-m", "fix mul")
    merged = _git(repo, "rev-parse", "HEAD").strip()
    _git(repo, "checkout", "-q", base)
    config = HarnessConfig(
        BuildOptions(mirrors={f"{ORG}/{CALC.repo}": repo}), DockerLimits(cpus=2, memory_bytes=1 << 30), 300
    )
    source = PullRequestSource(repo, ORG, CALC.repo, 11, base, merged)
    made = make_instance(docker_client, source, config, runs=2)
    assert set(made.record.f2p_tests) == {"multiplies"} and made.flaky == {}
    assert "test/mul.test.ts" in made.record.test_patch and "test/" not in made.record.fix_patch
    assert made.record.title == "fix mul"
    _git(repo, "checkout", "-q", merged)
    (repo / "test" / "more.test.ts").write_text(
        'import { test } from "node:test";\nimport assert from "node:assert/strict";\n'
        'test("still adds", () => assert.equal(1 + 1, 2));\n'
    )
    (repo / "src" / "calc.ts").write_text((repo / "src" / "calc.ts").read_text() + "// a comment\n")
    _git(repo, "add", "src", "test")
    _git(repo, "commit", "-q", "-m", "a test that passes anyway")
    cosmetic = PullRequestSource(repo, ORG, CALC.repo, 12, merged, _git(repo, "rev-parse", "HEAD").strip())
    _git(repo, "checkout", "-q", base)
    with pytest.raises(TaskDataError, match="has no fail-to-pass test"):
        make_instance(docker_client, cosmetic, config)
