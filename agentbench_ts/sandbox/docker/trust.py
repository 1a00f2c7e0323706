"""What a networked build needs from the host to reach package registries: a CA bundle where TLS is
intercepted (without it npm hangs retrying), proxy settings, and a non-default npm registry.

Taken from the host's environment (`NODE_EXTRA_CA_CERTS`, `HTTP(S)_PROXY`, `NO_PROXY`) and its npm
settings (`npm config get cafile|registry`). The CA bundle is copied into the build and named to Node
after every `FROM`; proxies go in as docker's predefined build args, so they are not part of any image."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

CA_NAME = "agentbench-ca.pem"
CA_PATH = "/usr/local/share/agentbench/ca.pem"
DEFAULT_REGISTRY = "https://registry.npmjs.org/"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")
_FROM = re.compile(r"^(FROM\s+\S+.*)$", re.MULTILINE | re.IGNORECASE)


def _npm_config(key: str) -> str | None:
    if shutil.which("npm") is None:
        return None
    try:
        done = subprocess.run(
            ["npm", "config", "get", key], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = done.stdout.strip()
    return value if done.returncode == 0 and value not in ("", "null", "undefined") else None


@dataclass(frozen=True)
class BuildTrust:
    ca_bundle: Path | None = None
    proxies: Mapping[str, str] = field(default_factory=dict)
    npm_registry: str | None = None
    """Only when it is not the public registry."""

    @classmethod
    def from_host(cls) -> BuildTrust:
        ca = os.environ.get("NODE_EXTRA_CA_CERTS") or _npm_config("cafile")
        registry = _npm_config("registry")
        return cls(
            ca_bundle=Path(ca) if ca and Path(ca).is_file() else None,
            proxies={name: os.environ[name] for name in PROXY_VARIABLES if os.environ.get(name)},
            npm_registry=registry
            if registry and registry.rstrip("/") != DEFAULT_REGISTRY.rstrip("/")
            else None,
        )

    def apply(self, dockerfile: str) -> tuple[str, dict[str, Path]]:
        """The Dockerfile with the trust lines after each FROM, and the files its context needs."""
        lines: list[str] = []
        context: dict[str, Path] = {}
        if self.ca_bundle is not None:
            context[CA_NAME] = self.ca_bundle
            lines += [f"COPY {CA_NAME} {CA_PATH}", f"ENV NODE_EXTRA_CA_CERTS={CA_PATH}"]
        if self.npm_registry:
            lines.append(f"ENV npm_config_registry={self.npm_registry}")
        if not lines:
            return dockerfile, context
        block = "\n".join(lines)
        return _FROM.sub(lambda m: f"{m[1]}\n{block}", dockerfile), context
