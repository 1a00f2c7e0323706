"""Python values and type annotations -> TypeScript, as MultiPL-E's humaneval_to_ts translator
writes them (literals, arrays for lists and tuples, `{k: v}` objects, `deepEqual` tests)."""

from __future__ import annotations

import ast
from collections.abc import Sequence

from agentbench_ts.errors import TaskDataError

STOP_TOKENS = ["\nfunction ", "\n/*", "\n//", "\nclass"]
TEST_PREFIX = ["declare var require: any;\nconst assert = require('node:assert');\n", "", "function test() {"]
TEST_SUFFIX = ["}", "", "test();"]


def literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\n", "\\n") + '"'
    if value is None:
        return "undefined"
    return repr(value)


def expression(node: ast.expr) -> str:
    match node:
        case ast.Constant(value=value):
            return literal(value)
        case ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=int() | float() as number)):
            return literal(-number)
        case ast.Name(id=name):
            return name
        case ast.List(elts=items) | ast.Tuple(elts=items):
            return "[" + ", ".join(expression(item) for item in items) + "]"
        case ast.Dict(keys=keys, values=values) if None not in keys:
            entries = [f"{expression(k)}: {expression(v)}" for k, v in zip(keys, values, strict=True) if k]
            return "{" + ", ".join(entries) + "}"
        case ast.Call(func=func, args=args, keywords=[]):
            return f"{expression(func)}(" + ", ".join(expression(a) for a in args) + ")"
    raise TaskDataError(f"no TypeScript for the Python expression {ast.unparse(node)!r}")


def annotation(node: ast.expr | None) -> str:
    match node:
        case ast.Name(id="int" | "float"):
            return "number"
        case ast.Name(id="bool"):
            return "boolean"
        case ast.Name(id="str"):
            return "string"
        case ast.Name(id="Any"):
            return "any"
        case ast.Subscript(value=ast.Name(id="List" | "list"), slice=item):
            return annotation(item) + "[]"
        case ast.Subscript(value=ast.Name(id="Optional"), slice=item):
            return annotation(item) + " | undefined"
        case ast.Subscript(value=ast.Name(id="Tuple" | "tuple"), slice=ast.Tuple(elts=items)):
            return "[" + ", ".join(annotation(i) for i in items) + "]"
        case ast.Subscript(value=ast.Name(id="Union"), slice=ast.Tuple(elts=items)):
            return "| ".join(annotation(i) for i in items)
        case ast.Subscript(value=ast.Name(id="Dict" | "dict"), slice=ast.Tuple(elts=[key, value])):
            return "{" + f"[key: {annotation(key)}]: {annotation(value)}" + "}"
    raise TaskDataError(f"no TypeScript type for the annotation {ast.unparse(node) if node else 'None'!r}")


def _kind(value: object) -> str:
    return (
        "number" if isinstance(value, int | float) and not isinstance(value, bool) else type(value).__name__
    )


def inferred(values: Sequence[object]) -> str:
    """A TypeScript type for an unannotated parameter or result, from the values the tests use."""
    present = [v for v in values if v is not None]
    if not present:
        raise TaskDataError("cannot infer a type from None alone")
    optional = " | undefined" if len(present) < len(values) else ""
    first = present[0]
    if any(_kind(v) != _kind(first) for v in present):
        raise TaskDataError(f"the tests mix types: {sorted({_kind(v) for v in present})}")
    if isinstance(first, bool):
        kind = "boolean"
    elif isinstance(first, int | float):
        kind = "number"
    elif isinstance(first, str):
        kind = "string"
    elif isinstance(first, list):
        kind = inferred([item for v in present for item in v]) + "[]"  # type: ignore[attr-defined]
    elif isinstance(first, tuple):
        kind = "[" + ", ".join(inferred([v[i] for v in present]) for i in range(len(first))) + "]"  # type: ignore[index]
    elif isinstance(first, dict):
        keys = [k for v in present for k in v]  # type: ignore[attr-defined]
        items = [item for v in present for item in v.values()]  # type: ignore[attr-defined]
        kind = "{" + f"[key: {inferred(keys)}]: {inferred(items)}" + "}"
    else:
        raise TaskDataError(f"cannot infer a TypeScript type for {first!r}")
    return kind + optional


def test_suite(entry_point: str, pairs: Sequence[tuple[ast.expr, ast.expr]]) -> str:
    lines = [*TEST_PREFIX, f"  let candidate = {entry_point};"]
    lines += [f"  assert.deepEqual({expression(left)},{expression(right)});" for left, right in pairs]
    return "\n".join([*lines, *TEST_SUFFIX])
