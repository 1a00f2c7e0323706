"""The check that a built instance image has what its install step should have produced.

Specs often write `npm ci || true`: a failed install then still tags an image, and every run of it fails
later for a reason nobody reads. Where the build has an install step (npm, yarn or pnpm) and the
repository's package.json declares dependencies, each of them must be in node_modules (or the
repository uses Yarn Plug'n'Play). Otherwise the image is removed and the failure is an image error."""

from __future__ import annotations

import json
import re
from typing import Any

from agentbench_ts.errors import SandboxError

_INSTALLS = {
    "npm": re.compile(r"\bnpm\s+(?:ci|install|i)\b"),
    "yarn": re.compile(r"\byarn(?:\s+install)?\b"),
    "pnpm": re.compile(r"\bpnpm\s+(?:install|i)\b"),
    "bun": re.compile(r"\bbun\s+(?:install|i)\b"),
}
_SCRIPT = r"""
const fs = require("fs");
if (!fs.existsSync("package.json") || fs.existsSync(".pnp.cjs") || fs.existsSync(".pnp.js")) {
  console.log("[]"); process.exit(0);
}
const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
const names = Object.keys({ ...(pkg.dependencies || {}), ...(pkg.devDependencies || {}) });
console.log(JSON.stringify(names.filter((n) => !fs.existsSync(`node_modules/${n}/package.json`))));
"""


def install_tools(images: list[Any]) -> list[str]:
    """The package managers (npm, yarn, pnpm, bun) the chain installs with while building: in its
    Dockerfiles or the files they copy in, other than the run scripts (which run later)."""
    run_scripts = {"run.sh", "test-run.sh", "fix-run.sh"}
    texts = [
        text
        for image in images
        for text in (image.dockerfile(), *(f.content for f in image.files() if f.name not in run_scripts))
    ]
    return [tool for tool, pattern in _INSTALLS.items() if any(pattern.search(text) for text in texts)]


def build_installs(images: list[Any]) -> bool:
    """Whether any image of the chain installs packages while building."""
    return bool(install_tools(images))


def missing_dependencies(client: Any, image: str, repo_dir: str) -> list[str] | None:
    """Declared dependencies absent from node_modules in `repo_dir` of `image`; None where the image
    has no node to check with."""
    from docker.errors import APIError  # noqa: PLC0415 (docker is imported only where it is used)

    try:
        container = client.containers.run(
            image, ["node", "-e", _SCRIPT], working_dir=repo_dir, detach=True, network_mode="none"
        )
    except APIError:  # no node in the image, or no such folder
        return None
    try:
        status = container.wait(timeout=120)["StatusCode"]
        output = container.logs(stdout=True, stderr=False).decode(errors="replace").strip()
    finally:
        container.remove(force=True)
    if status != 0 or not output:
        return None
    try:
        missing = json.loads(output.splitlines()[-1])
    except ValueError:
        return None
    return [str(name) for name in missing] if isinstance(missing, list) else None


def check_installed(
    client: Any, image: str, repo_dir: str, build_log: str, step: str = "the build's install step"
) -> None:
    """Raise (and remove the image) where the install step left declared dependencies out."""
    missing = missing_dependencies(client, image, repo_dir)
    if not missing:
        return
    client.images.remove(image, force=True)
    shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
    raise SandboxError(
        f"image error: {image}: {step} left {len(missing)} declared dependencies out of"
        f" {repo_dir}/node_modules ({shown}); it failed, perhaps behind `|| true`. The image was removed;"
        f" see the build log {build_log}"
    )
