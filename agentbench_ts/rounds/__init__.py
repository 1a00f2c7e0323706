"""Rounds of eval -> traces -> datasets -> adapter -> eval, as one resumable experiment directory with
manifests and lineage (`agentbench round run|status|lineage|datasets|report EXP`)."""
