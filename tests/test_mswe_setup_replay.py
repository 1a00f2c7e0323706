"""Specs made by Multi-SWE-bench's environment agent record their setup in prepare.sh and do not run
it: the image build replays it (in order, in one shell, failures allowed, bounded in time); a spec
whose Dockerfile runs prepare.sh is built as it is; the install check names the replayed setup."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from mswe_fixture import ORG, register_one_image

from agentbench_ts.errors import SandboxError
from agentbench_ts.mswe.config import BuildOptions
from agentbench_ts.mswe.images import ensure_instance_image
from agentbench_ts.mswe.setup_replay import (
    DELIMITER,
    REPLAY_LABEL,
    recorded_setup,
    replay_lines,
    replay_script,
)
from agentbench_ts.mswe.specs import create_instance

ACTIONS = [
    "ls -la",
    "false",
    "mkdir -p sub && cd sub && export MARK=carried",
    'echo "$MARK $(basename "$PWD")" > marker.txt',
    "cat <<'EOF' > multi.txt\nline one\nline two\nEOF",
]


class _File:
    def __init__(self, name: str, content: str) -> None:
        self.dir, self.name, self.content = ".", name, content


class _Image:
    def __init__(self, dockerfile: str, prepare: str | None) -> None:
        self._dockerfile, self._prepare = dockerfile, prepare

    def dockerfile(self) -> str:
        return self._dockerfile

    def files(self) -> list[_File]:
        return [_File("prepare.sh", self._prepare)] if self._prepare is not None else []


def test_only_a_setup_the_dockerfile_does_not_run_is_replayed() -> None:
    recorded = DELIMITER.join(f"\n{action}\n" for action in ACTIONS)
    assert recorded_setup(_Image("FROM a\nRUN git clone x /home/x\n", recorded)) == ACTIONS
    assert (
        recorded_setup(_Image("FROM a\nCOPY prepare.sh /home/\nRUN bash /home/prepare.sh\n", recorded))
        is None
    )
    assert recorded_setup(_Image("FROM a\n", "#!/bin/bash\nnpm ci\n")) == [
        "#!/bin/bash\nnpm ci"
    ]  # one action
    assert recorded_setup(_Image("FROM a\n", None)) is None
    assert recorded_setup(_Image("FROM a\n", f"{DELIMITER}\n \n{DELIMITER}")) is None


def test_the_replay_runs_each_action_in_one_shell_and_goes_on_after_a_failure(tmp_path: Path) -> None:
    script = tmp_path / "scripts" / "replay.sh"
    script.parent.mkdir()
    long = "echo '" + "x" * 120 + "' > long.txt"
    script.write_text(replay_script([*ACTIONS, 'echo "$CI $DEBIAN_FRONTEND" > env.txt', long]))
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run(["bash", str(script)], cwd=work, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.splitlines() == [
        "agentbench: setup step 1/7: ls -la",
        *done.stdout.splitlines()[1:-7],  # what ls printed
        "agentbench: setup step 2/7: false",
        "agentbench: setup step 2 exited 1",
        "agentbench: setup step 3/7: mkdir -p sub && cd sub && export MARK=carried",
        'agentbench: setup step 4/7: echo "$MARK $(basename "$PWD")" > marker.txt',
        "agentbench: setup step 5/7: cat <<EOF > multi.txt",
        'agentbench: setup step 6/7: echo "$CI $DEBIAN_FRONTEND" > env.txt',
        "agentbench: setup step 7/7: echo " + "x" * 94,  # the first 100 characters, no quotes
    ]
    assert (work / "sub" / "marker.txt").read_text() == "carried sub\n"  # cd and export carried over
    assert (work / "sub" / "multi.txt").read_text() == "line one\nline two\n"
    assert (work / "sub" / "env.txt").read_text() == "true noninteractive\n"
    assert sorted(p.name for p in work.rglob("*")) == [
        "env.txt",
        "long.txt",
        "marker.txt",
        "multi.txt",
        "sub",
    ]
    assert not list(Path("/tmp").glob("agentbench-setup-step-*.sh"))


def test_the_replay_step_fails_the_build_only_past_its_time() -> None:
    assert replay_lines(90) == (
        "COPY agentbench-setup /tmp/agentbench-setup\n"
        "RUN timeout 90 bash /tmp/agentbench-setup/replay.sh; status=$?; rm -rf /tmp/agentbench-setup;"
        ' if [ "$status" = 124 ]; then echo "agentbench: the recorded setup ran past 90 s"; exit 1; fi'
    )


def _envagent_spec(base: str, repo: str, actions: list[str]) -> None:
    """An environment agent's spec: its Dockerfile clones and checks out; prepare.sh records the rest."""
    from multi_swe_bench.harness.image import File

    register_one_image(
        repo,
        base,
        lambda pr: [File(".", "prepare.sh", DELIMITER.join(f"\n{action}\n" for action in actions))],
        lambda pr: (
            f"FROM {base}\nWORKDIR /home/\n"
            f"RUN git clone https://github.com/{pr.org}/{pr.repo}.git /home/{pr.repo}\n"
            f"WORKDIR /home/{pr.repo}\nRUN git checkout -q {pr.base.sha}\nCOPY prepare.sh /home/\n"
        ),
        lambda _: None,
    )


def _repo(tmp_path: Path, package: str) -> tuple[Path, str]:
    repo = tmp_path / "envagent"
    repo.mkdir()
    (repo / "package.json").write_text(package)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    for argv in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "one"]):
        subprocess.run([*git, *argv], cwd=repo, check=True)
    return repo, subprocess.run(
        [*git, "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def _pr(repo: str, sha: str) -> Any:
    from multi_swe_bench.harness.pull_request import Base, PullRequest

    return PullRequest(ORG, repo, 1, "closed", "t", "", Base("x", "main", sha), [], "", "")


def _shown(client: Any, image: str, command: str) -> str:
    return str(
        client.containers.run(image, ["bash", "-c", command], remove=True, network_mode="none").decode()
    )


@pytest.mark.docker
def test_an_envagent_image_gets_its_recorded_setup(
    docker_client: Any, task_images: Any, tmp_path: Path
) -> None:
    repo, sha = _repo(tmp_path, '{"name": "envagent", "private": true}\n')
    _envagent_spec(task_images.base(), "envagent", [*ACTIONS, "npm install --no-audit --no-fund"])
    options = BuildOptions(mirrors={f"{ORG}/envagent": repo}, cache_dir=tmp_path / "cache")
    instance = create_instance(_pr("envagent", sha))
    image = ensure_instance_image(docker_client, instance, options)
    assert _shown(docker_client, image, "cat /home/envagent/sub/marker.txt /home/envagent/sub/multi.txt") == (
        "carried sub\nline one\nline two\n"
    )
    assert docker_client.images.get(image).labels[REPLAY_LABEL] == "6 actions of prepare.sh"
    assert _shown(docker_client, image, "ls /tmp | grep -c agentbench || true").strip() == "0"
    plain = ensure_instance_image(
        docker_client, instance, BuildOptions(**{**options.__dict__, "replay_setup": False})
    )
    assert REPLAY_LABEL not in docker_client.images.get(plain).labels
    assert "missing" in _shown(docker_client, plain, "ls /home/envagent/sub 2>/dev/null || echo missing")


@pytest.mark.docker
def test_a_replayed_install_that_failed_offline_is_named_as_such(
    docker_client: Any, task_images: Any, tmp_path: Path
) -> None:
    repo, sha = _repo(tmp_path, '{"name": "envagent2", "dependencies": {"is-number": "7.0.0"}}\n')
    _envagent_spec(task_images.base(), "envagent2", ["npm install --no-audit --no-fund --fetch-retries=0"])
    options = BuildOptions(mirrors={f"{ORG}/envagent2": repo}, cache_dir=tmp_path / "cache")
    with pytest.raises(
        SandboxError,
        match=r"the replayed setup \(the spec's prepare.sh\) left 1 declared .*--build-network host",
    ):
        ensure_instance_image(docker_client, create_instance(_pr("envagent2", sha)), options)


@pytest.mark.docker
def test_a_setup_past_its_time_fails_the_build(docker_client: Any, task_images: Any, tmp_path: Path) -> None:
    repo, sha = _repo(tmp_path, '{"name": "envagent3", "private": true}\n')
    _envagent_spec(task_images.base(), "envagent3", ["sleep 30"])
    options = BuildOptions(
        mirrors={f"{ORG}/envagent3": repo}, cache_dir=tmp_path / "cache", setup_timeout_s=2
    )
    with pytest.raises(SandboxError, match="cannot build"):
        ensure_instance_image(docker_client, create_instance(_pr("envagent3", sha)), options)
    logs = list((tmp_path / "cache" / "build-logs").glob("*.log"))
    assert any("the recorded setup ran past 2 s" in log.read_text() for log in logs)
