"""A user's spec module, as `--spec-module mswe_user_spec` loads it: importing it registers a spec for
agentbench-test/vitekit (replacing the registered one, written for jest) the way the official package's
repositories register theirs."""

from __future__ import annotations

from mswe_fixture import ORG, user_vitekit_spec
from multi_swe_bench.harness.instance import Instance

VitekitSpec = Instance.register(ORG, "vitekit")(user_vitekit_spec())
