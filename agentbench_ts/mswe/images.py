"""The image step: instance images from the spec's Image chain, built with the one content-addressed
image build (sandbox.docker.images) from each Image's `dockerfile()` and `files()`, base first.

What the chain is built with here, where GitHub and container registries may be out of reach:
- the official base (`FROM node:20`) is used when docker has it (or may pull it); else a local stand-in
  (mswe.bases);
- the repository comes from a mirror (`--mirror ORG/REPO=PATH`, mswe.mirrors): `RUN git clone URL DIR`
  becomes a COPY of a clone of the mirror, and a `COPY REPO DIR` spec finds the clone in its context
  under REPO;
- repository tarballs the lockfile names are made from the mirror and put into npm's cache first;
- a setup the spec records in prepare.sh but does not run (the environment agent's specs) is replayed
  (mswe.setup_replay);
- networked builds get the host's CA bundle, proxies and npm registry;
- an install step that failed quietly (`npm ci || true`) is an image error (mswe.install_check).
Every choice that changes the result is in the recipe's digest and the image's labels."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any

from agentbench_ts.errors import SandboxError
from agentbench_ts.mswe.bases import SUBSTITUTION_LABEL, base_substitution
from agentbench_ts.mswe.config import BuildOptions
from agentbench_ts.mswe.install_check import build_installs, check_installed
from agentbench_ts.mswe.mirrors import (
    MirrorClone,
    github_clone,
    locked_repository_tarballs,
    lockfile_at,
    tarball_from_mirror,
    working_clone,
)
from agentbench_ts.mswe.setup_replay import (
    REPLAY_DIR,
    REPLAY_LABEL,
    recorded_setup,
    replay_lines,
    replay_script,
)
from agentbench_ts.mswe.specs import image_chain
from agentbench_ts.sandbox.docker.images import (
    ContextEntry,
    ImageRecipe,
    build_log_path,
    ensure_image,
    is_current,
    recipe_digest,
)
from agentbench_ts.sandbox.docker.trust import BuildTrust

_CHECKOUT = re.compile(r"^(?:RUN git clone\s+(?:-\S+\s+)*\S+|COPY\s+\S+)\s+(/\S+)\s*$", re.MULTILINE)
_CLONE = re.compile(r"^RUN git clone\s+(?:-\S+\s+)*\S+\s+(/\S+)\s*$", re.MULTILINE)
_FROM_LINE = re.compile(r"^FROM\s+\S+.*$", re.MULTILINE | re.IGNORECASE)
MIRROR_DIR = "agentbench-mirror"
SEED_DIR = "agentbench-npm-seed"


def repo_dir_in_image(instance: Any) -> str:
    """Where the instance's images put the repository: the target of their `git clone` (or of the
    COPY that replaces it) named after the repository, else /home/<repo> as every official one does."""
    repo = instance.pr.repo
    for image in image_chain(instance):
        for target in _CHECKOUT.findall(image.dockerfile()):
            if target.rstrip("/").rsplit("/", 1)[-1] == repo:
                return str(target.rstrip("/"))
    return f"/home/{repo}"


def _seed_tarballs(image: Any, clone: MirrorClone) -> dict[str, bytes]:
    """Repository tarballs the lockfile at the pull request's base names, rebuilt from the mirror."""
    lock = lockfile_at(clone.path, image.pr.base.sha)
    if lock is None:
        return {}
    seeds = {}
    for locked in locked_repository_tarballs(lock):
        if (locked.org, locked.repo) != (image.pr.org, image.pr.repo):
            continue
        data = tarball_from_mirror(clone, locked)
        if data is not None:
            seeds[f"{locked.repo}-{locked.ref}.tgz"] = data
    return seeds


@dataclass
class ChainBuild:
    """One chain's build state: its clone of the mirror, the base substitution made, the seeds, whether
    a recorded setup was replayed."""

    client: Any
    options: BuildOptions
    clone: MirrorClone | None = None
    substitution: str | None = None
    trust: BuildTrust | None = None
    replayed: bool = False
    """Whether a recorded setup was replayed in one of the chain's recipes."""

    def recipe(self, image: Any) -> ImageRecipe:
        dockerfile = image.dockerfile()
        context: dict[str, ContextEntry] = {f"{item.dir}/{item.name}": item.content for item in image.files()}
        identity: dict[str, ContextEntry] = dict(context)
        labels: dict[str, str] = {}
        if isinstance(image.dependency(), str):
            dockerfile = self._substitute_base(dockerfile, image.dependency())
        if self.substitution:
            labels[SUBSTITUTION_LABEL] = self.substitution
        if self.clone is not None:
            dockerfile = _CLONE.sub(lambda m: f"COPY {MIRROR_DIR} {m[1]}", dockerfile)
            if re.search(rf"^COPY\s+{MIRROR_DIR}\s", dockerfile, re.MULTILINE):
                context[MIRROR_DIR] = self.clone.path
            if re.search(rf"^COPY\s+{re.escape(image.pr.repo)}\s", dockerfile, re.MULTILINE):
                context[image.pr.repo] = self.clone.path  # the official harness's context when not cloning
            identity["mirror"] = self.clone.state
            if build_installs([image]) and (seeds := _seed_tarballs(image, self.clone)):
                dockerfile = _after_from(dockerfile, _seed_lines())
                for name, data in seeds.items():
                    context[f"{SEED_DIR}/{name}"] = data
                identity["seeds"] = ",".join(sorted(seeds))
        if self.options.replay_setup and (actions := recorded_setup(image)):
            dockerfile = f"{dockerfile.rstrip()}\n{replay_lines(self.options.setup_timeout_s)}\n"
            context[f"{REPLAY_DIR}/replay.sh"] = replay_script(actions)
            labels[REPLAY_LABEL] = f"{len(actions)} actions of prepare.sh"
            self.replayed = True
        transient: dict[str, str] = {}
        if self.options.online:
            trust = self.trust or BuildTrust.from_host()
            dockerfile, trust_files = trust.apply(dockerfile)
            context.update(trust_files)
            transient = dict(trust.proxies)
        repository, _, _ = str(image.image_full_name()).rpartition(":")
        return ImageRecipe(
            repository=repository,
            dockerfile=dockerfile,
            context=context,
            identity=identity,
            ref=str(image.image_full_name()),
            network=self.options.network,
            dockerfile_name=image.dockerfile_name(),
            labels=labels,
            transient_args=transient,
        )

    def _substitute_base(self, dockerfile: str, official: str) -> str:
        found = base_substitution(self.client, official, self.options)
        if found is None:
            return dockerfile
        ref, self.substitution = found
        return re.sub(
            rf"^FROM\s+{re.escape(official)}(\s|$)", rf"FROM {ref}\1", dockerfile, flags=re.MULTILINE
        )


def _seed_lines() -> str:
    return (
        f"COPY {SEED_DIR} /tmp/{SEED_DIR}\n"
        f'RUN for f in /tmp/{SEED_DIR}/*.tgz; do npm cache add "$f" >/dev/null || exit 1; done'
        f" && rm -rf /tmp/{SEED_DIR}"
    )


def _after_from(dockerfile: str, lines: str) -> str:
    return _FROM_LINE.sub(lambda m: f"{m[0]}\n{lines}", dockerfile, count=1)


def _clone_for(chain: list[Any], options: BuildOptions) -> MirrorClone | None:
    """A clone for the build context, holding the pull request's base: of the mirror where one is
    given, else (for a spec that copies the repository in) of GitHub when the network is allowed."""
    pr = chain[-1].pr
    org, repo, bases = pr.org, pr.repo, [pr.base.sha]
    if (mirror := options.mirrors.get(f"{org}/{repo}")) is not None:
        clone = working_clone(mirror, org, repo, options.cache_dir, bases)
        if clone.skipped and clone.made_now:
            shown = ", ".join(clone.skipped[:10]) + (" ..." if len(clone.skipped) > 10 else "")
            options.log(
                f"the mirror {mirror} lacks the objects of {len(clone.skipped)} ref(s), left out of its"
                f" clone: {shown}"
            )
        return clone
    copies = any(re.search(rf"^COPY\s+{re.escape(repo)}\s", i.dockerfile(), re.MULTILINE) for i in chain)
    if copies and options.online:
        return working_clone(github_clone(org, repo, options.cache_dir), org, repo, options.cache_dir, bases)
    if copies:
        raise SandboxError(
            f"the spec of {org}/{repo} copies the repository into its image: give a mirror"
            f" (--mirror {org}/{repo}=PATH) or allow the build network"
        )
    return None


def ensure_instance_image(client: Any, instance: Any, options: BuildOptions) -> str:
    """The instance image, pulled (when allowed) or built; images whose recipe is unchanged are reused."""
    name = str(instance.name())
    if options.pull and options.online:
        with contextlib.suppress(Exception):  # no registry or no such image: build it instead
            client.images.pull(name)
            return name
    chain = image_chain(instance)
    build = ChainBuild(client, options, clone=_clone_for(chain, options), trust=options.trust)
    offline = "" if options.online else " (the build had no network: --build-network host, or a mirror)"
    for image in chain:
        recipe = build.recipe(image)
        log = build_log_path(recipe, recipe_digest(recipe), options.cache_dir / "build-logs")
        fresh = options.rebuild or not is_current(client, recipe.ref or name, recipe_digest(recipe))
        try:
            ensure_image(client, recipe, rebuild=options.rebuild, log_dir=options.cache_dir / "build-logs")
        except SandboxError as exc:
            raise SandboxError(f"cannot build {image.image_full_name()}: {exc}{offline}") from exc
        if fresh and image is chain[-1] and build_installs(chain):
            step = (
                "the replayed setup (the spec's prepare.sh)" if build.replayed else "the build's install step"
            )
            try:
                check_installed(client, recipe.ref or name, repo_dir_in_image(instance), str(log), step)
            except SandboxError as exc:
                raise SandboxError(f"{exc}{offline}") from exc
    return name
