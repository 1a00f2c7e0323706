"""Seeing runs: a static trace viewer (`agentbench view`), run comparison, and plots."""
