"""Test doubles that ship with the library, for tests and dry runs of research code: an
OpenAI-compatible server that answers from a Python policy (it stands in for vLLM, which needs a GPU),
and the oracle as such a policy."""
