"""Tasks as pytest items (`pytest --agentbench-tasks SPEC --agentbench-model SPEC --agentbench-out DIR`)
and fixtures for research code; registered through the `pytest11` entry point."""
