"""The one registry idiom: plug-ins (models, sandboxes, graders, task sources) found by name.

A name is looked up, in order, among plug-ins registered in this process (`@registry.register`),
the built-ins (a name -> "package.module:attr" table, imported on first use so optional extras stay
optional), the entry points other installed packages declare in the registry's group, and finally
as a dotted path `package.module:factory`, so outside code plugs in without editing ours.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import threading
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, JsonValue, ValidationError

from agentbench_ts.errors import ConfigError

T = TypeVar("T")
_DOTTED = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
ENTRY_POINT_GROUPS = {
    "model": "agentbench_ts.models",
    "sandbox": "agentbench_ts.sandboxes",
    "grader": "agentbench_ts.graders",
    "task source": "agentbench_ts.task_sources",
    "mswe spec": "agentbench_ts.mswe_specs",
}


def import_dotted(path: str, what: str) -> object:
    """The object at `package.module:attr`; a ConfigError that says why it cannot be had."""
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"{what} {path!r}: cannot import {module_name}: {exc}") from exc
    try:
        return getattr(module, attr)
    except AttributeError as exc:
        raise ConfigError(f"{what} {path!r}: {module_name} has no {attr!r}") from exc


class Registry(Generic[T]):
    """Name -> factory for one kind of plug-in."""

    def __init__(self, kind: str, builtins: Mapping[str, str]) -> None:
        self.kind = kind
        self.group = ENTRY_POINT_GROUPS[kind]
        self._builtins = dict(builtins)
        self._registered: dict[str, T] = {}
        self._lock = threading.Lock()

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: make `factory` available under `name` in this process."""

        def add(factory: T) -> T:
            with self._lock:
                self._registered[name] = factory
            return factory

        return add

    def unregister(self, name: str) -> None:
        """Forget what `register` added under `name` (built-ins and entry points stay)."""
        with self._lock:
            self._registered.pop(name, None)

    def _entry_points(self) -> dict[str, str]:
        return {point.name: point.value for point in entry_points(group=self.group)}

    def names(self) -> list[str]:
        """Every name this registry knows without a dotted path."""
        return sorted({*self._registered, *self._builtins, *self._entry_points()})

    def unknown(self, name: str) -> ConfigError:
        return ConfigError(
            f"unknown {self.kind} {name!r}; available: {', '.join(self.names())} "
            "(or a dotted path package.module:factory)"
        )

    def _known(self, name: str) -> T | None:
        with self._lock:
            found = self._registered.get(name)
        if found is not None:
            return found
        path = self._builtins.get(name) or self._entry_points().get(name)
        return None if path is None else self._load(name, path)

    def _load(self, name: str, path: str) -> T:
        factory: T = import_dotted(path, self.kind)  # type: ignore[assignment]
        if not callable(factory):
            raise ConfigError(f"{self.kind} {name!r} ({path}) is not callable")
        return factory

    def get(self, name: str) -> T:
        """The factory called `name`, or at the dotted path `name`."""
        found = self._known(name)
        if found is not None:
            return found
        if not _DOTTED.match(name):
            raise self.unknown(name)
        return self._load(name, name)

    def resolve(self, spec: str) -> tuple[T, str, str]:
        """(factory, name, argument) of `NAME[:ARGUMENT]` or `package.module:factory[:ARGUMENT]`."""
        head, _, rest = spec.partition(":")
        found = self._known(head)
        if found is not None:
            return found, head, rest
        attr, _, argument = rest.partition(":")
        dotted = f"{head}:{attr}"
        if not _DOTTED.match(dotted):
            raise self.unknown(head)
        try:
            return self._load(dotted, dotted), dotted, argument
        except ConfigError:
            if "." in head or importlib.util.find_spec(head) is not None:
                raise  # meant as a dotted path: say why it does not load
            raise self.unknown(head) from None


M = TypeVar("M", bound=BaseModel)


def split_commas(value: object) -> object:
    """'a,b' -> ['a', 'b'] for list options written in a spec string (repeated keys also work)."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return [part.strip() for item in value for part in str(item).split(",") if part.strip()]
    return value


CommaList = Annotated[tuple[str, ...], BeforeValidator(split_commas)]
"""A list option: `?key=a,b` or `?key=a&key=b`."""


def parse_query(query: str) -> dict[str, JsonValue]:
    """`k=v&k2=v2&k2=v3` -> {"k": "v", "k2": ["v2", "v3"]}; a bare `k` means `k=true`."""
    options: dict[str, JsonValue] = {}
    for part in filter(None, query.split("&")):
        key, sep, value = part.partition("=")
        value = value if sep else "true"
        if key in options:
            previous = options[key]
            options[key] = [*(previous if isinstance(previous, list) else [previous]), value]
        else:
            options[key] = value
    return options


def parse_options(options_type: type[M], options: Mapping[str, object], what: str) -> M:
    """Options validated by their model; one ConfigError line naming what is wrong and what exists."""
    allowed = ", ".join(options_type.model_fields) or "none"
    unknown = sorted(set(options) - set(options_type.model_fields))
    if unknown:
        raise ConfigError(f"{what} has no option {', '.join(unknown)}; its options: {allowed}")
    try:
        return options_type.model_validate(dict(options))
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "options"
        raise ConfigError(
            f"{what}: option {where}: {error['msg']} (got {error.get('input')!r}); its options: {allowed}"
        ) from None
