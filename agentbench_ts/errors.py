"""Typed errors. Each carries what a user needs to act on it."""


class AgentbenchError(Exception):
    """Base class of every error this library raises on purpose."""


class ToolError(AgentbenchError):
    """A tool call was refused or failed; the model sees the message as a [tool_error]."""


class SandboxError(AgentbenchError):
    """A sandbox could not be created, used or cleaned up."""


class TaskDataError(AgentbenchError):
    """Task or suite data on disk is missing or malformed."""


class ModelError(AgentbenchError):
    """A model backend failed in a way the episode cannot recover from."""


class TraceStoreError(AgentbenchError):
    """A run directory cannot be used as asked (e.g. resumed with another config)."""


class ExtractError(AgentbenchError):
    """Traces or options cannot be turned into a dataset as asked."""


class LeakageError(ExtractError):
    """A task that belongs to an evaluation split appears in training data."""


class ConfigError(AgentbenchError):
    """A run configuration, spec string, plug-in name or option is invalid; nothing has run yet."""


class TrainError(AgentbenchError):
    """A training run cannot start or finish as asked (data, template, lengths, adapter)."""
