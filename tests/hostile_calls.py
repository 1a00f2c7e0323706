"""Hostile tool calls every workspace backend must refuse, shared by the backend tests.

Each workspace under test is laid out as:
    <base>/repo/                the workspace root (tools are confined here)
    <base>/outside/secret.txt   must never be read
    <base>/repo-evil/secret.txt a sibling whose name starts with the root's: never read either
    repo/link_dir  -> ../outside
    repo/link_file -> ../outside/secret.txt
    repo/dangling  -> ../outside/created.txt   (does not exist yet)
    repo/blob.bin               a binary file
"""

from __future__ import annotations

from pathlib import Path

from agentbench_ts.protocol.actions import ToolCall

SECRET = "TOP-SECRET-CONTENT"
TEN_MB = "x" * (10 * 1024 * 1024)


def build_hostile_layout(base: Path) -> Path:
    repo, outside = base / "repo", base / "outside"
    (repo / "src").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    (base / "repo-evil").mkdir()
    (base / "repo-evil" / "secret.txt").write_text(SECRET)
    (repo / "src" / "a.ts").write_text("export const a = 1;\n")
    (repo / "blob.bin").write_bytes(b"\x7fELF\x00\x01\x02" * 100)
    (repo / "link_dir").symlink_to("../outside", target_is_directory=True)
    (repo / "link_file").symlink_to("../outside/secret.txt")
    (repo / "dangling").symlink_to("../outside/created.txt")
    return repo


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()
    }


# (id, call, words the refusal must contain)
HOSTILE_CALLS: list[tuple[str, ToolCall, str]] = [
    ("read-traversal", ToolCall("read_file", {"rel_path": "../outside/secret.txt"}), "outside"),
    ("read-sibling-prefix", ToolCall("read_file", {"rel_path": "../repo-evil/secret.txt"}), "outside"),
    ("read-deep-traversal", ToolCall("read_file", {"rel_path": "src/../../outside/secret.txt"}), "outside"),
    ("read-absolute", ToolCall("read_file", {"rel_path": "/etc/passwd"}), "absolute"),
    ("read-home", ToolCall("read_file", {"rel_path": "~/.bashrc"}), "absolute"),
    ("read-windows-absolute", ToolCall("read_file", {"rel_path": "C:\\Windows\\win.ini"}), "absolute"),
    ("read-symlink-file-out", ToolCall("read_file", {"rel_path": "link_file"}), "outside"),
    ("read-through-symlink-dir", ToolCall("read_file", {"rel_path": "link_dir/secret.txt"}), "outside"),
    ("read-nul", ToolCall("read_file", {"rel_path": "src/a.ts\x00.txt"}), "NUL"),
    ("read-overlong", ToolCall("read_file", {"rel_path": "a/" * 3000}), "limit"),
    ("read-binary", ToolCall("read_file", {"rel_path": "blob.bin"}), "binary"),
    ("read-empty-path", ToolCall("read_file", {"rel_path": ""}), "empty"),
    ("list-traversal", ToolCall("list_files", {"rel_dir": ".."}), "outside"),
    ("list-sibling-prefix", ToolCall("list_files", {"rel_dir": "../repo-evil"}), "outside"),
    ("list-symlink-dir", ToolCall("list_files", {"rel_dir": "link_dir"}), "outside"),
    ("list-absolute", ToolCall("list_files", {"rel_dir": "/"}), "absolute"),
    ("grep-traversal", ToolCall("grep", {"pattern": "SECRET", "rel_dir": "../outside"}), "outside"),
    ("grep-symlink-dir", ToolCall("grep", {"pattern": "SECRET", "rel_dir": "link_dir"}), "outside"),
    ("grep-overlong-pattern", ToolCall("grep", {"pattern": "a" * 5000}), "limit"),
    ("grep-invalid-regex", ToolCall("grep", {"pattern": "(unclosed"}), "regular expression"),
    (
        "write-traversal",
        ToolCall("write_file", {"rel_path": "../outside/evil.txt", "content": "x"}),
        "outside",
    ),
    (
        "write-absolute",
        ToolCall("write_file", {"rel_path": "/tmp/agentbench-evil.txt", "content": "x"}),
        "absolute",
    ),
    ("write-symlink-file-out", ToolCall("write_file", {"rel_path": "link_file", "content": "x"}), "outside"),
    (
        "write-dangling-symlink-out",
        ToolCall("write_file", {"rel_path": "dangling", "content": "x"}),
        "outside",
    ),
    (
        "write-through-symlink-dir",
        ToolCall("write_file", {"rel_path": "link_dir/new.txt", "content": "x"}),
        "outside",
    ),
    ("write-nul", ToolCall("write_file", {"rel_path": "src/x\x00.ts", "content": "x"}), "NUL"),
    ("write-ten-megabytes", ToolCall("write_file", {"rel_path": "big.txt", "content": TEN_MB}), "limit"),
    ("write-into-git", ToolCall("write_file", {"rel_path": ".git/config", "content": "x"}), ".git"),
    ("write-over-directory", ToolCall("write_file", {"rel_path": "src", "content": "x"}), "directory"),
]
