"""The stand-in base step: the official base image of a chain (`FROM node:20`) where docker has it or
may pull it, else a local stand-in built on our offline base; the substitution is recorded in the
image's label and reported with every result it touched."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from agentbench_ts.errors import SandboxError
from agentbench_ts.mswe.config import BuildOptions
from agentbench_ts.mswe.specs import create_instance
from agentbench_ts.sandbox.docker.images import image_exists
from agentbench_ts.sandbox.docker.standins import ensure_stand_in, stand_in_contents

SUBSTITUTION_LABEL = "agentbench.base_substitution"


def _official_base_usable(client: Any, official: str, options: BuildOptions) -> bool:
    if options.bases == "official" or image_exists(client, official):
        return True
    if options.bases == "auto" and options.pull and options.online:
        with contextlib.suppress(Exception):
            client.images.pull(official)
            return True
    return False


def base_substitution(client: Any, official: str, options: BuildOptions) -> tuple[str, str] | None:
    """(stand-in ref, label text) when `official` is to be stood in for; None to build FROM it."""
    if _official_base_usable(client, official, options):
        return None
    if options.offline_base is None or not image_exists(client, options.offline_base):
        raise SandboxError(
            f"the base image {official} is not in docker and no registry is used; a stand-in is built on"
            " the offline base, which is missing: run `agentbench sandbox build-base`"
        )
    ref = ensure_stand_in(client, official, options.offline_base, options.cache_dir)
    return ref, f"{official} -> {ref} ({stand_in_contents(client, ref)})"


def base_substitutions(client: Any, records: Sequence[Any]) -> dict[str, str]:
    """Instance id -> the base substitution its image was built with (where one was made)."""
    from docker.errors import ImageNotFound  # noqa: PLC0415

    found = {}
    for record in records:
        with contextlib.suppress(ImageNotFound):
            label = client.images.get(str(create_instance(record).name())).labels.get(SUBSTITUTION_LABEL)
            if label:
                found[str(record.id)] = str(label)
    return found
