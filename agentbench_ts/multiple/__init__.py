"""MultiPL-E (HumanEval-TS, MBPP-TS): records, completion-mode evaluation with MultiPL-E's verdicts,
pass@k, and a fast evaluator that keeps the per-problem `tsc` + `node` semantics."""
