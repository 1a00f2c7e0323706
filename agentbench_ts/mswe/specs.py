"""The spec step: which Multi-SWE-bench spec (an `Instance` subclass, the official package's or a
user's) a record is made, built, run and graded with.

Found as the official harness finds it (`Instance.create`): a record that names a `number_interval`
uses the spec registered as `ORG/<interval>` (e.g. `PrismJS/prism_1730_to_771`, PRs 771-1730); else
`ORG/REPO` (`ORG/REPO_<tag>` with a tag). A new instance gets its interval from the registry: the
range that holds its pull request's number, else the plain spec.

Plug-ins register specs the way the package's own repositories do (`Instance.register(org, name)` on
the class): a module named by dotted path (`--spec-module pkg.mod`, imported), or an entry point of
an installed package in the `agentbench_ts.mswe_specs` group, `ORG/NAME = pkg.mod:SpecClass`."""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from agentbench_ts.errors import ConfigError, TaskDataError
from agentbench_ts.registry import Registry

SPECS: Registry[Any] = Registry("mswe spec", {})
"""Specs declared by installed packages (entry points `ORG/NAME = pkg.mod:SpecClass`)."""
_RANGE = re.compile(r"^(?P<prefix>.+)_(?P<high>\d+)_to_(?P<low>\d+)$")
_LOADED: set[str] = set()
_LOCK = threading.Lock()


def _registry() -> dict[str, Any]:
    from multi_swe_bench.harness.instance import Instance  # noqa: PLC0415 (an optional extra)

    found: dict[str, Any] = Instance._registry
    return found


def load_specs(modules: Iterable[str] = ()) -> None:
    """Register the official specs, those installed packages declare, and those `modules` register.
    Idempotent; a module that cannot be imported is a ConfigError naming it."""
    with _LOCK:
        if "" not in _LOADED:
            import multi_swe_bench.harness.repos  # noqa: F401, PLC0415 (registers every official spec)

            for name in SPECS.names():
                _register_entry_point(name)
            _LOADED.add("")
        for module in modules:
            if module not in _LOADED:
                _import_spec_module(module)
                _LOADED.add(module)


def _import_spec_module(module: str) -> None:
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise ConfigError(f"spec module {module!r} cannot be imported: {exc}") from exc
    except Exception as exc:  # the user's module raised while registering
        raise ConfigError(f"spec module {module!r} failed on import: {type(exc).__name__}: {exc}") from exc


def _register_entry_point(name: str) -> None:
    from multi_swe_bench.harness.instance import Instance  # noqa: PLC0415

    spec = SPECS.get(name)
    if not (isinstance(spec, type) and issubclass(spec, Instance)):
        raise ConfigError(f"mswe spec entry point {name!r} is not an Instance subclass: {spec!r}")
    org, sep, rest = name.partition("/")
    if not sep or not org or not rest:
        raise ConfigError(f"mswe spec entry point {name!r}: name it ORG/NAME, as the spec is registered")
    _registry()[name] = spec  # over an official spec of the same name: the installed plug-in wins


@dataclass(frozen=True)
class RegisteredSpec:
    key: str
    """The registry name: ORG/NAME."""
    org: str
    name: str
    language: str
    """typescript, javascript, another language folder of the package, or `unknown`."""
    module: str
    low: int | None = None
    """The pull-request range a range spec is for (both ends included); None for a plain spec."""
    high: int | None = None

    @property
    def repo_key(self) -> str:
        """The repository it is for, normalised (lower case, '-' and '.' as '_')."""
        match = _RANGE.match(self.name)
        return normalised(match["prefix"] if match else self.name)

    @property
    def is_range(self) -> bool:
        return self.low is not None

    def covers(self, number: int) -> bool:
        return self.low is not None and self.high is not None and self.low <= number <= self.high

    def describe(self) -> str:
        span = f"PRs {self.low}-{self.high}" if self.is_range else "any PR"
        return f"{self.key} ({span}, {self.language}, {self.module})"


def normalised(name: str) -> str:
    return re.sub(r"[-.]", "_", name).lower()


def spec_language(spec: Any) -> str:
    """The language a spec class declares (`language` or `lang` attribute), else the package folder
    it lives in (`...repos.typescript...`), else `unknown`."""
    for attribute in ("language", "lang"):
        declared = getattr(spec, attribute, None)
        if isinstance(declared, str) and declared:
            return declared.lower()
    match = re.search(r"\.repos\.(\w+)\.", f"{getattr(spec, '__module__', '')}.")
    return match[1] if match else "unknown"


def registered_specs(org_repo: str | None = None) -> list[RegisteredSpec]:
    """Every registered spec (of `ORG/REPO` only, when given), plain and range, sorted."""
    load_specs()
    found = []
    for key, spec in sorted(_registry().items()):
        org, _, name = key.partition("/")
        match = _RANGE.match(name)
        low, high = (int(match["low"]), int(match["high"])) if match else (None, None)
        entry = RegisteredSpec(key, org, name, spec_language(spec), spec.__module__, low, high)
        if org_repo is None or _is_for(entry, org_repo):
            found.append(entry)
    return found


def _is_for(spec: RegisteredSpec, org_repo: str) -> bool:
    org, _, repo = org_repo.partition("/")
    return spec.org.lower() == org.lower() and spec.repo_key == normalised(repo)


@dataclass(frozen=True)
class SpecChoice:
    spec: RegisteredSpec
    number_interval: str
    """What the record's `number_interval` must say ("" for a plain spec)."""
    others: tuple[RegisteredSpec, ...] = ()
    """Other ranges that hold the number too (a shared boundary)."""


def select_spec(org: str, repo: str, number: int, name: str | None = None) -> SpecChoice:
    """The spec a new instance of ORG/REPO#NUMBER is made with: `name` when given, else the range that
    holds the number (where several do, as at a boundary two ranges share, the one starting latest),
    else the plain spec. A TaskDataError names what is registered when none fits."""
    specs = [spec for spec in registered_specs(f"{org}/{repo}") if spec.org == org]
    if name is not None:
        named = [spec for spec in specs if spec.name == name]
        if not named:
            raise TaskDataError(f"no spec {org}/{name} is registered for {org}/{repo}{_listing(specs)}")
        return SpecChoice(named[0], name if named[0].is_range else "")
    covering = sorted((spec for spec in specs if spec.covers(number)), key=lambda spec: -int(spec.low or 0))
    if covering:
        return SpecChoice(covering[0], covering[0].name, tuple(covering[1:]))
    plain = [spec for spec in specs if not spec.is_range and spec.name == repo]
    if plain:
        return SpecChoice(plain[0], "")
    if specs:
        raise TaskDataError(
            f"no Multi-SWE-bench spec of {org}/{repo} holds PR #{number}{_listing(specs)}; give one with"
            " --spec NAME, or register a spec for this range (--spec-module)"
        )
    raise TaskDataError(
        f"no Multi-SWE-bench spec is registered for {org}/{repo}: register an Instance subclass with"
        " multi_swe_bench.harness.instance.Instance.register (as the package's repos do) in a module"
        " given by --spec-module, or declare it in the agentbench_ts.mswe_specs entry-point group"
    )


def _listing(specs: Sequence[RegisteredSpec]) -> str:
    if not specs:
        return ""
    return "; registered: " + ", ".join(
        f"{spec.name} (PRs {spec.low}-{spec.high})" if spec.is_range else f"{spec.name} (any PR)"
        for spec in specs
    )


def spec_key(record: Any) -> str:
    """The registry name the official `Instance.create` looks the record's spec up by."""
    if record.number_interval:
        return f"{record.org}/{record.number_interval}"
    if getattr(record, "tag", ""):
        return f"{record.org}/{record.repo}_{record.tag.replace('.', '_')}"
    return f"{record.org}/{record.repo}"


def spec_of(record: Any) -> Any | None:
    """The spec class the record is made with, or None where none is registered."""
    load_specs()
    return _registry().get(spec_key(record))


def user_spec_module(record: Any) -> str | None:
    """The module of the record's spec where it is not one of the official package's."""
    spec = spec_of(record)
    module = str(getattr(spec, "__module__", "")) if spec is not None else ""
    return module if module and not module.startswith("multi_swe_bench.") else None


def create_instance(record: Any) -> Any:
    """The record's spec instantiated (its images, scripts and parse_log), as the official harness does."""
    from multi_swe_bench.harness.image import Config  # noqa: PLC0415 (an optional extra)
    from multi_swe_bench.harness.instance import Instance  # noqa: PLC0415

    load_specs()
    if spec_key(record) not in _registry():
        others = registered_specs(f"{record.org}/{record.repo}")
        raise TaskDataError(
            f"{record.org}/{record.repo}#{record.number}: no spec {spec_key(record)} is registered"
            f"{_listing(others)}; load the module that registers it (--spec-module)"
        )
    return Instance.create(record, Config(need_clone=False, global_env=None, clear_env=False))


def image_chain(instance: Any) -> list[Any]:
    """The instance's images, base first (the last one is the instance image)."""
    from multi_swe_bench.harness.image import Image  # noqa: PLC0415

    chain = []
    image = instance.dependency()
    while isinstance(image, Image):
        chain.append(image)
        image = image.dependency()
    return chain[::-1]
