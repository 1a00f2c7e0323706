"""Mirrors as instance images use them: a bare mirror is cloned with its branches and tags and each
instance's base commit, nothing else; a snapshot that lacks a ref's objects still gives a clone,
naming the refs it left out; only a base commit that cannot be had is an error."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from mswe_fixture import ORG, register_one_image

from agentbench_ts.errors import SandboxError
from agentbench_ts.mswe.config import BuildOptions
from agentbench_ts.mswe.images import ensure_instance_image
from agentbench_ts.mswe.mirrors import SKIPPED_FILE, working_clone
from agentbench_ts.mswe.specs import create_instance

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]


def _git(repo: Path, *argv: str) -> str:
    return subprocess.run([*GIT, *argv], cwd=repo, capture_output=True, text=True, check=True).stdout


def _commit(repo: Path, name: str, text: str) -> str:
    (repo / name).write_text(text)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", name)
    return _git(repo, "rev-parse", "HEAD").strip()


def _source(tmp_path: Path) -> dict[str, str]:
    """main (default) with a tag, a side branch, and a pull-request head on no branch."""
    repo = tmp_path / "src"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    shas = {"one": _commit(repo, "one.txt", "1\n")}
    _git(repo, "tag", "-a", "v1", "-m", "v1")
    shas["two"] = _commit(repo, "two.txt", "2\n")
    _git(repo, "checkout", "-q", "-b", "side")
    shas["side"] = _commit(repo, "side.txt", "side\n")
    _git(repo, "checkout", "-q", "--detach", "main")
    shas["pull"] = _commit(repo, "pull.txt", "pull\n")
    _git(repo, "update-ref", "refs/pull/7/head", shas["pull"])
    _git(repo, "checkout", "-q", "main")
    return shas


def _bare(tmp_path: Path, name: str = "mirror.git") -> Path:
    bare = tmp_path / name
    subprocess.run(["git", "clone", "-q", "--mirror", str(tmp_path / "src"), str(bare)], check=True)
    return bare


def _lose_objects_of(bare: Path, path_in_commit: str) -> None:
    """Make the mirror an incomplete snapshot: every object loose, then one blob deleted."""
    packs = bare / "objects" / "pack"
    for pack in list(packs.glob("*.pack")):
        moved = bare.parent / f"{pack.name}.moved"
        pack.rename(moved)
        for other in packs.glob(f"{pack.stem}.*"):
            other.unlink()
        subprocess.run(["git", "unpack-objects", "-q"], cwd=bare, stdin=moved.open("rb"), check=True)
    blob = _git(bare, "rev-parse", path_in_commit).strip()
    (bare / "objects" / blob[:2] / blob[2:]).unlink()


def test_a_bare_mirror_gives_its_branches_tags_and_the_base_and_github_as_origin(tmp_path: Path) -> None:
    shas = _source(tmp_path)
    bare = _bare(tmp_path)
    clone = working_clone(bare, "someorg", "dep", tmp_path / "cache", [shas["pull"]])
    path = clone.path
    assert _git(path, "remote", "get-url", "origin").strip() == "https://github.com/someorg/dep.git"
    assert _git(path, "rev-parse", "HEAD").strip() == shas["two"]  # the default branch, checked out
    assert _git(path, "rev-parse", "refs/remotes/origin/side").strip() == shas["side"]
    assert _git(path, "rev-parse", "v1^{commit}").strip() == shas["one"]
    assert _git(path, "cat-file", "-t", shas["pull"]).strip() == "commit"  # the base, on no branch
    refs = _git(path, "for-each-ref", "--format=%(refname)").split()
    assert not [ref for ref in refs if "pull" in ref and "agentbench" not in ref]  # only what is needed
    assert clone.made_now and clone.skipped == ()
    again = working_clone(bare, "someorg", "dep", tmp_path / "cache")
    assert again.path == path and not again.made_now  # made once per mirror state
    _commit(tmp_path / "src", "three.txt", "3\n")
    _git(bare, "fetch", "-q", str(tmp_path / "src"), "+refs/heads/*:refs/heads/*")
    assert working_clone(bare, "someorg", "dep", tmp_path / "cache").path != path  # the mirror moved on


def test_a_base_commit_is_fetched_into_a_cached_clone_when_a_later_instance_needs_it(tmp_path: Path) -> None:
    shas = _source(tmp_path)
    bare = _bare(tmp_path)
    first = working_clone(bare, "someorg", "dep", tmp_path / "cache")
    with pytest.raises(subprocess.CalledProcessError):
        _git(first.path, "cat-file", "-e", f"{shas['pull']}^{{commit}}")
    later = working_clone(bare, "someorg", "dep", tmp_path / "cache", [shas["pull"][:12]])
    assert later.path == first.path and later.state == first.state  # the image identity stays
    assert later.ensure_commit(shas["pull"][:12]) == shas["pull"]


def test_a_ref_whose_objects_are_missing_is_skipped_and_named(tmp_path: Path) -> None:
    shas = _source(tmp_path)
    bare = _bare(tmp_path)
    _lose_objects_of(bare, "side:side.txt")
    with pytest.raises(subprocess.CalledProcessError):  # what the old clone (every ref) tripped on
        subprocess.run(["git", "clone", "-q", "--mirror", f"file://{bare}", str(tmp_path / "x")], check=True)
    clone = working_clone(bare, "someorg", "dep", tmp_path / "cache", [shas["pull"]])
    assert clone.skipped == ("refs/heads/side",)
    assert (clone.path / ".git" / SKIPPED_FILE).read_text() == "refs/heads/side\n"
    assert _git(clone.path, "rev-parse", "refs/remotes/origin/main").strip() == shas["two"]
    assert _git(clone.path, "rev-parse", "v1^{commit}").strip() == shas["one"]
    assert working_clone(bare, "someorg", "dep", tmp_path / "cache").skipped == ("refs/heads/side",)


def test_many_refs_with_broken_ones_among_them_keep_every_good_one(tmp_path: Path) -> None:
    shas = _source(tmp_path)
    src = tmp_path / "src"
    for index in range(80):
        _git(src, "tag", f"t{index:02d}", shas["one"])
    _git(src, "checkout", "-q", "-b", "broken2", shas["one"])
    _commit(src, "lost.txt", "lost\n")
    _git(src, "checkout", "-q", "main")
    bare = _bare(tmp_path)
    _lose_objects_of(bare, "side:side.txt")
    _lose_objects_of(bare, "broken2:lost.txt")
    clone = working_clone(bare, "someorg", "dep", tmp_path / "cache")
    assert clone.skipped == ("refs/heads/broken2", "refs/heads/side")
    tags = _git(clone.path, "tag", "--list").split()
    assert len(tags) == 81 and "t79" in tags and "v1" in tags


def test_a_base_commit_the_mirror_cannot_give_is_an_error(tmp_path: Path) -> None:
    _source(tmp_path)
    bare = _bare(tmp_path)
    _lose_objects_of(bare, "side:side.txt")
    side = _git(bare, "rev-parse", "refs/heads/side").strip()
    with pytest.raises(SandboxError, match=f"fetching the commit {side} from the mirror"):
        working_clone(bare, "someorg", "dep", tmp_path / "cache", [side])
    with pytest.raises(SandboxError, match="does not exist"):
        working_clone(tmp_path / "nowhere", "someorg", "dep", tmp_path / "cache")


def test_a_checkout_is_used_as_it_is(tmp_path: Path) -> None:
    shas = _source(tmp_path)
    src = tmp_path / "src"
    (src / "node_modules").mkdir()
    clone = working_clone(src, "someorg", "dep", tmp_path / "cache", [shas["one"]])
    assert clone.path == src and clone.source == src
    with pytest.raises(SandboxError, match="has no commit"):
        clone.ensure_commit("0" * 40)


@pytest.mark.docker
def test_an_incomplete_mirror_still_yields_the_instance_image(
    docker_client: Any, task_images: Any, tmp_path: Path
) -> None:
    from multi_swe_bench.harness.pull_request import Base, PullRequest

    shas = _source(tmp_path)
    bare = _bare(tmp_path)
    _lose_objects_of(bare, "side:side.txt")
    register_one_image(
        "incomplete",
        task_images.base(),
        lambda pr: [],
        lambda pr: (
            f"FROM {task_images.base()}\nWORKDIR /home/\n"
            f"RUN git clone https://github.com/{pr.org}/{pr.repo}.git /home/{pr.repo}\n"
            f"RUN cd /home/{pr.repo} && git checkout -q {pr.base.sha}\n"
        ),
        lambda _: None,
    )
    pr = PullRequest(ORG, "incomplete", 1, "closed", "t", "", Base("x", "main", shas["pull"]), [], "", "")
    notices: list[str] = []
    options = BuildOptions(
        mirrors={f"{ORG}/incomplete": bare}, cache_dir=tmp_path / "cache", log=notices.append
    )
    image = ensure_instance_image(docker_client, create_instance(pr), options)
    shown = docker_client.containers.run(
        image, ["bash", "-c", "cd /home/incomplete && git rev-parse HEAD && cat pull.txt"], remove=True
    ).decode()
    assert shown.split() == [shas["pull"], "pull"]
    assert (
        len(notices) == 1
        and "lacks the objects of 1 ref(s)" in notices[0]
        and "refs/heads/side" in notices[0]
    )


def test_github_is_cloned_once_and_fetched_anew(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`git` itself is pointed at a local folder for github.com (url.insteadOf): no network is used."""
    from agentbench_ts.mswe.mirrors import github_clone

    shas = _source(tmp_path)
    hosted = tmp_path / "hosted"
    (hosted / "someorg").mkdir(parents=True)
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(tmp_path / "src"), str(hosted / "someorg" / "dep.git")],
        check=True,
    )
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", f"url.file://{hosted}/.insteadOf")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "https://github.com/")
    clone = github_clone("someorg", "dep", tmp_path / "cache")
    assert clone == tmp_path / "cache" / "mirrors" / "someorg__dep-github.git"
    assert _git(clone, "rev-parse", "refs/heads/main").strip() == shas["two"]
    later = _commit(tmp_path / "src", "later.txt", "later\n")
    subprocess.run(
        ["git", "push", "-q", str(hosted / "someorg" / "dep.git"), "main"], cwd=tmp_path / "src", check=True
    )
    assert github_clone("someorg", "dep", tmp_path / "cache") == clone
    assert _git(clone, "rev-parse", "refs/heads/main").strip() == later  # fetched anew
    with pytest.raises(SandboxError, match=r"cloning https://github.com/someorg/missing.git: git clone"):
        github_clone("someorg", "missing", tmp_path / "cache")


def test_the_lockfile_is_read_at_the_base_shrinkwrap_first(tmp_path: Path) -> None:
    from agentbench_ts.mswe.mirrors import lockfile_at

    repo = tmp_path / "locks"
    repo.mkdir()
    _git(repo, "init", "-q")
    none = _commit(repo, "README.md", "x\n")
    package = _commit(repo, "package-lock.json", '{"from": "package-lock"}\n')
    both = _commit(repo, "npm-shrinkwrap.json", '{"from": "shrinkwrap"}\n')
    assert lockfile_at(repo, none) is None
    assert lockfile_at(repo, package) == '{"from": "package-lock"}\n'
    assert lockfile_at(repo, both) == '{"from": "shrinkwrap"}\n'
    assert lockfile_at(repo, "0" * 40) is None


def test_locked_repository_tarballs_are_read_in_every_form_github_serves(tmp_path: Path) -> None:
    from agentbench_ts.mswe.mirrors import locked_repository_tarballs

    packages = {
        "": {"name": "app"},
        "node_modules/a": {"resolved": "https://github.com/o/a/tarball/v1", "integrity": "sha512-A"},
        "node_modules/b": {
            "resolved": "https://github.com/o/b.git/archive/refs/tags/v2.tar.gz",
            "integrity": "sha1-B",
        },
        "node_modules/c": {
            "resolved": "https://codeload.github.com/o/c/tar.gz/0123abc",
            "integrity": "sha256-C",
        },
        "node_modules/d": {
            "resolved": "https://codeload.github.com/o/d/legacy.tar.gz/refs/tags/v4",
            "integrity": "x",
        },
        "node_modules/e": {"resolved": "https://github.com/o/e/tarball/v5"},  # no integrity: cannot verify
        "node_modules/f": {"resolved": "https://registry.npmjs.org/f/-/f-1.0.0.tgz", "integrity": "sha512-F"},
        "node_modules/g": "not an entry",
    }
    found = locked_repository_tarballs(json.dumps({"packages": packages}))
    assert [(t.name, t.org, t.repo, t.ref, t.integrity) for t in found] == [
        ("node_modules/a", "o", "a", "v1", "sha512-A"),
        ("node_modules/b", "o", "b", "v2", "sha1-B"),
        ("node_modules/c", "o", "c", "0123abc", "sha256-C"),
        ("node_modules/d", "o", "d", "v4", "x"),
    ]
    assert locked_repository_tarballs("not json") == []
    assert locked_repository_tarballs("[1, 2]") == []
    assert locked_repository_tarballs("{}") == []


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha384", "sha512"])
def test_a_tarball_counts_only_when_an_integrity_item_matches(algorithm: str, tmp_path: Path) -> None:
    import base64
    import hashlib

    from agentbench_ts.mswe.mirrors import LockedTarball, tarball_from_mirror

    shas = _source(tmp_path)
    bare = _bare(tmp_path)
    clone = working_clone(bare, "someorg", "dep", tmp_path / "cache")
    tar = subprocess.run(
        ["git", "archive", "--format=tar", "--prefix=dep-1/", "v1"], cwd=bare, capture_output=True, check=True
    ).stdout
    gz = subprocess.run(["gzip", "-n"], input=tar, capture_output=True, check=True).stdout
    digest = base64.b64encode(hashlib.new(algorithm, gz).digest()).decode()
    good = LockedTarball("node_modules/dep", "someorg", "dep", "v1", f"md5-zzz {algorithm}-{digest}")
    assert tarball_from_mirror(clone, good) == gz  # the /archive/v1 layout: REPO-1/ (the tag without v)
    assert tarball_from_mirror(clone, LockedTarball("x", "someorg", "dep", "v1", f"md5-{digest}")) is None
    assert tarball_from_mirror(clone, LockedTarball("x", "someorg", "dep", "nope", good.integrity)) is None
    by_id = subprocess.run(
        ["git", "archive", "--format=tar", f"--prefix=dep-{shas['pull']}/", shas["pull"]],
        cwd=bare,
        capture_output=True,
        check=True,
    ).stdout
    gz = subprocess.run(["gzip", "-n"], input=by_id, capture_output=True, check=True).stdout
    digest = base64.b64encode(hashlib.new(algorithm, gz).digest()).decode()
    pinned = LockedTarball("x", "someorg", "dep", shas["pull"], f"{algorithm}-{digest}")
    assert tarball_from_mirror(clone, pinned) == gz  # a commit on no branch: fetched from the mirror first


def test_a_clone_is_named_and_identified_by_its_mirrors_state(tmp_path: Path) -> None:
    from agentbench_ts.mswe.mirrors import mirror_state

    _source(tmp_path)
    bare = _bare(tmp_path)
    state = mirror_state(bare)
    assert len(state) == 16 and state == mirror_state(bare)
    clone = working_clone(bare, "someorg", "dep", tmp_path / "cache")
    assert clone.path == tmp_path / "cache" / "mirrors" / f"someorg__dep-{state}"
    assert (clone.source, clone.state) == (bare, state)
    checkout = working_clone(tmp_path / "src", "someorg", "dep", tmp_path / "cache")
    assert checkout.state == mirror_state(tmp_path / "src") and checkout.path == tmp_path / "src"
    _git(bare, "update-ref", "refs/heads/extra", _git(bare, "rev-parse", "main").strip())
    assert mirror_state(bare) != state  # any ref counts
    with pytest.raises(SandboxError, match=r"reading the mirror .*: git show-ref"):
        mirror_state(tmp_path)


def test_a_clone_that_fails_leaves_nothing_behind(tmp_path: Path) -> None:
    from agentbench_ts.mswe.mirrors import _make_clone

    target = tmp_path / "cache" / "mirrors" / "x"
    (tmp_path / "not-a-repo").mkdir()
    with pytest.raises(SandboxError, match=r"listing refs: git ls-remote"):
        _make_clone(tmp_path / "not-a-repo", target, "o", "r")
    assert list(target.parent.iterdir()) == []


def test_a_clone_another_process_made_first_is_kept(tmp_path: Path) -> None:
    from agentbench_ts.mswe.mirrors import _make_clone

    _source(tmp_path)
    bare = _bare(tmp_path)
    target = tmp_path / "cache" / "mirrors" / "x"
    target.mkdir(parents=True)
    (target / "theirs").write_text("made by another process")
    assert _make_clone(bare, target, "o", "r") is False
    assert sorted(p.name for p in target.parent.iterdir()) == ["x"] and (target / "theirs").is_file()
    assert _make_clone(bare, tmp_path / "cache" / "mirrors" / "y", "o", "r") is True


def test_a_default_branch_whose_objects_are_missing_is_not_checked_out(tmp_path: Path) -> None:
    shas = _source(tmp_path)
    bare = _bare(tmp_path)
    _git(bare, "symbolic-ref", "HEAD", "refs/heads/side")
    _lose_objects_of(bare, "side:side.txt")
    clone = working_clone(bare, "someorg", "dep", tmp_path / "cache", [shas["two"]])
    assert clone.skipped == ("refs/heads/side",)
    with pytest.raises(subprocess.CalledProcessError):
        _git(clone.path, "rev-parse", "--verify", "HEAD")  # nothing checked out: the Dockerfile checks out
    assert _git(clone.path, "rev-parse", "refs/remotes/origin/main").strip() == shas["two"]
