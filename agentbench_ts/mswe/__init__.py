"""Multi-SWE-bench TypeScript (and JavaScript): instance records, images and grading, reusing the
official `multi-swe-bench` package's per-repository knowledge (Instance, Image chain, parse_log, Report)."""
