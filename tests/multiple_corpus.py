"""Programs for evaluator tests: MultiPL-E sample problems completed correctly, and completed in
every way a model (or a cheat) can go wrong. Each carries the verdict MultiPL-E's own evaluation
gives it; the tests check that the reference path and the fast evaluator both agree with it."""

from __future__ import annotations

import warnings
from pathlib import Path

from agentbench_ts.multiple.agent_tasks import commented_prompt
from agentbench_ts.multiple.completion import program_of
from agentbench_ts.multiple.problems import BarePromptWarning, MultiPLERecord, load_records

SAMPLE = Path(__file__).parent / "data" / "multipl-e" / "humaneval-ts-sample.jsonl"
"""The MultiPL-E repository's form (bare description lines)."""
HUB_SAMPLE = SAMPLE.with_name("humaneval-ts-hub-sample.jsonl")
"""The hub dataset's form (the benchmark)."""

CORRECT = {
    "HumanEval_0_has_close_elements": (
        "  for (let i = 0; i < numbers.length; i++)\n"
        "    for (let j = i + 1; j < numbers.length; j++)\n"
        "      if (Math.abs(numbers[i] - numbers[j]) < threshold) return true;\n"
        "  return false;\n}"
    ),
    "HumanEval_100_make_a_pile": "  return Array.from({ length: n }, (_, i) => n + 2 * i);\n}",
    "HumanEval_11_string_xor": (
        '  let out = "";\n'
        '  for (let i = 0; i < a.length; i++) out += a[i] === b[i] ? "0" : "1";\n'
        "  return out;\n}"
    ),
    "HumanEval_12_longest": (
        "  if (strings.length === 0) return undefined;\n  let best = strings[0];\n"
        "  for (const s of strings) if (s.length > best.length) best = s;\n  return best;\n}"
    ),
    "HumanEval_13_greatest_common_divisor": "  while (b) { [a, b] = [b, a % b]; }\n  return a;\n}",
    "HumanEval_136_largest_smallest_integers": (
        "  const neg = lst.filter((x) => x < 0), pos = lst.filter((x) => x > 0);\n"
        "  return [neg.length ? Math.max(...neg) : undefined, pos.length ? Math.min(...pos) : undefined];\n}"
    ),
    "HumanEval_111_histogram": (
        "  const counts: { [key: string]: number } = {};\n"
        '  for (const w of test.split(" ")) if (w) counts[w] = (counts[w] || 0) + 1;\n'
        "  const top = Math.max(0, ...Object.values(counts));\n"
        "  const out: { [key: string]: number } = {};\n"
        "  for (const [k, v] of Object.entries(counts)) if (v === top) out[k] = v;\n"
        "  return out;\n}"
    ),
}
GOOD = CORRECT["HumanEval_0_has_close_elements"]
PROCESS = "(globalThis as any).process"

# (label, completion of has_close_elements, MultiPL-E's verdict)
BROKEN = [
    ("wrong answer", "  return false;\n}", "AssertionError"),
    ("type error", '  return "yes";\n}', "SyntaxError"),
    ("syntax error", "  return (;\n}", "SyntaxError"),
    ("exception", '  throw new Error("boom");\n}', "Exception"),
    ("runtime ReferenceError", '  return (globalThis as any).eval("missingName");\n}', "ReferenceError"),
    ("runtime SyntaxError", '  return (globalThis as any).eval("{");\n}', "SyntaxError"),
    ("infinite loop", "  while (true) {}\n}", "Timeout"),
    (
        "20 MB on stdout",
        '  for (let i = 0; i < 100000; i++) console.log("x".repeat(200));\n  return false;\n}',
        "AssertionError",
    ),
    (
        "noise on stderr",
        '  for (let i = 0; i < 50000; i++) console.error("noise ".repeat(30));\n  return false;\n}',
        "AssertionError",
    ),
    ("process.exit(0) before the tests", f"  {PROCESS}.exit(0);\n  return false;\n}}", "OK"),
    (
        "ERR_ASSERTION on stdout",
        f'  console.log("ERR_ASSERTION"); {PROCESS}.exit(3);\n  return false;\n}}',
        "Exception",
    ),
    (
        "ReferenceError on stderr",
        f'  console.error("ReferenceError: fake"); {PROCESS}.exit(2);\n  return false;\n}}',
        "ReferenceError",
    ),
    ("clash with a DOM global", GOOD + "\nlet name = 5;\n", "SyntaxError"),
    ("lib interface augmented", GOOD + "\ninterface Array<T> { tag?: string }\n", "OK"),
    ("lib interface contradicted", GOOD + "\ninterface Array<T> { length: string }\n", "SyntaxError"),
    ("unhandled rejection", '  Promise.reject(new Error("late"));\n' + GOOD, "Exception"),
    ("timer outlives the timeout", GOOD + "\nsetTimeout(() => {}, 60000);\n", "Timeout"),
    (
        "child process keeps node alive",
        GOOD + '\nrequire("child_process").spawn("sleep", ["30"]);\n',
        "Timeout",
    ),
    # node 20 runs ES-module syntax in a .js file as a module, where `require` is not defined
    ("export makes a module", GOOD + "\nexport {};\n", "ReferenceError"),
    ("top-level await in a script", GOOD + "\nawait Promise.resolve(1);\n", "SyntaxError"),
]


def sample_records() -> dict[str, MultiPLERecord]:
    """The repository form, on purpose (`commented` makes each compile; the corpus also has one that
    does not): its warning is expected here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BarePromptWarning)
        return {r.name: r for r in load_records(SAMPLE)}


def commented(record: MultiPLERecord) -> MultiPLERecord:
    """The record with every description line commented out (see agent_suite.commented_prompt):
    after the prompt as published, no completion compiles."""
    return record.model_copy(update={"prompt": commented_prompt(record)})


def corpus() -> list[tuple[str, str, str]]:
    """(label, program, expected status) for every correct and broken completion."""
    records = sample_records()
    programs = [
        (f"correct {name}", program_of(commented(records[name]), body), "OK")
        for name, body in CORRECT.items()
    ]
    first = records["HumanEval_0_has_close_elements"]
    programs.append(("correct, after the prompt as published", program_of(first, GOOD), "SyntaxError"))
    programs += [(label, program_of(commented(first), body), status) for label, body, status in BROKEN]
    return programs
