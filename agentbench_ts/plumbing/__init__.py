"""Ground-floor plumbing, one copy each: running a process, the append-only JSONL file, git."""
