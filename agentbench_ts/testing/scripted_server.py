"""A small OpenAI-compatible chat server on loopback that replies from a Python policy.

It stands in for vLLM where none can run (tests, dry runs of research code): the real `openai`
client talks to it over HTTP. It can inject latency, 500s, 429s, malformed bodies and dropped
connections, and it answers /v1/models and /v1/load_lora_adapter like vLLM does.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Policy = Callable[[list[dict[str, Any]]], str]
"""Reply content for the messages of one request."""
CompletionPolicy = Callable[[str, int], str]
"""Text that continues `prompt`, for sample number `index` of a /v1/completions request."""
Tokenize = Callable[[list[dict[str, Any]], str], tuple[list[int], list[int]]]
"""(messages, reply) -> (prompt token ids, completion token ids), for `return_token_ids` requests."""
PromptScorer = Callable[[str, str], list[float]]
"""(model name, prompt) -> log-probabilities of the prompt's tokens after the first, for `echo` requests."""


@dataclass(frozen=True)
class Fault:
    kind: Literal["status", "malformed", "drop", "slow"]
    status: int = 500
    delay_s: float = 0.0
    """slow: answer normally, but only after this long (past a client's request timeout)."""


FaultSource = Callable[[int], "Fault | None"]
"""Call number (1-based) -> the fault to inject for it, if any (random faults at a rate, for soaks)."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as clients expect from a real server
    disable_nagle_algorithm = True  # else headers and body wait out the peer's delayed ACK (40 ms)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: object) -> None:
        self._send(status, json.dumps(payload).encode())

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            names = sorted(self.server.owner.models)
            self._json(200, {"object": "list", "data": [{"id": n, "object": "model"} for n in names]})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            self._json(400, {"error": {"message": "request body is not JSON"}})
            return
        if self.path == "/v1/load_lora_adapter":
            self.server.owner.models.add(body["lora_name"])
            self._send(200, b"Success", "text/plain")
        elif self.path == "/v1/chat/completions":
            self._chat(body)
        elif self.path == "/v1/completions" and body.get("echo") and self.server.owner.prompt_scorer:
            self._echo(body)
        elif self.path == "/v1/completions" and self.server.owner.completion_policy is not None:
            self._complete(body)
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    def _admitted(self, body: dict[str, Any]) -> bool:
        """Count the call and wait out the latency; answer a fault or an unknown model right away."""
        owner = self.server.owner
        fault = owner.next_fault()
        time.sleep(owner.latency_s)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay_s)  # then answer: the client has given up on this request by now
        elif fault is not None:
            self._fault(fault)
            return False
        if body.get("model") not in owner.models:
            self._json(404, {"error": {"message": f"model {body.get('model')!r} does not exist"}})
            return False
        return True

    def _chat(self, body: dict[str, Any]) -> None:
        if not self._admitted(body):
            return
        owner = self.server.owner
        content = owner.policy(body["messages"])
        owner.record(body)
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if body.get("tools"):
            message = _as_tool_call(content)
        choice: dict[str, Any] = {"index": 0, "message": message, "finish_reason": "stop"}
        extra: dict[str, Any] = {}
        if body.get("return_token_ids") and owner.tokenize is not None:
            prompt_ids, completion_ids = owner.tokenize(body["messages"], content)
            extra["prompt_token_ids"] = prompt_ids
            choice["token_ids"] = completion_ids
            entries: list[dict[str, Any]] = [
                {"token": f"token_id:{t}", "logprob": -0.25, "bytes": None, "top_logprobs": []}
                for t in completion_ids
            ]
            choice["logprobs"] = {"content": entries}
        usage = {
            "prompt_tokens": len(json.dumps(body["messages"])) // 4,
            "completion_tokens": len(content) // 4,
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        self._json(
            200,
            {
                "id": f"chatcmpl-{uuid.uuid4().hex}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [choice],
                "usage": usage,
                **extra,
            },
        )

    def _complete(self, body: dict[str, Any]) -> None:
        """Plain completions as vLLM serves them: n samples, each cut before its first stop string."""
        if not self._admitted(body):
            return
        owner = self.server.owner
        assert owner.completion_policy is not None
        owner.record(body)
        stops = body.get("stop") or []
        choices = []
        for index in range(int(body.get("n", 1))):
            text = owner.completion_policy(body["prompt"], index)
            ends = [i for i in (text.find(stop) for stop in stops) if i != -1]
            choices.append(
                {
                    "index": index,
                    "text": text[: min(ends)] if ends else text,
                    "finish_reason": "stop" if ends else "length",
                    "logprobs": None,
                }
            )
        usage = {"prompt_tokens": len(body["prompt"]) // 4, "completion_tokens": 1, "total_tokens": 1}
        self._text_completion(body, choices, usage)

    def _text_completion(self, body: dict[str, Any], choices: list[Any], usage: dict[str, int]) -> None:
        self._json(
            200,
            {
                "id": f"cmpl-{uuid.uuid4().hex}",
                "object": "text_completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": choices,
                "usage": usage,
            },
        )

    def _echo(self, body: dict[str, Any]) -> None:
        """`echo` with `logprobs`, as vLLM answers it: the prompt's token log-probabilities (the first
        token has none), then one generated token."""
        if not self._admitted(body):
            return
        owner = self.server.owner
        assert owner.prompt_scorer is not None
        owner.record(body)
        scores = owner.prompt_scorer(body["model"], body["prompt"])
        logprobs = {
            "tokens": [],
            "token_logprobs": [None, *scores, -1.0],
            "top_logprobs": None,
            "text_offset": [],
        }
        choice = {"index": 0, "text": body["prompt"] + " ", "finish_reason": "length", "logprobs": logprobs}
        usage = {"prompt_tokens": len(scores) + 1, "completion_tokens": 1, "total_tokens": len(scores) + 2}
        self._text_completion(body, [choice], usage)

    def _fault(self, fault: Fault) -> None:
        if fault.kind == "status":
            self._json(fault.status, {"error": {"message": f"injected {fault.status}"}})
        elif fault.kind == "malformed":
            self._send(200, b'{"id": "chatcmpl-broken", "choices": [')
        else:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)


def _as_tool_call(content: str) -> dict[str, Any]:
    """What a server with native tool calling returns for an action the policy wrote as JSON."""
    try:
        action = json.loads(content)
        name = action["name"] if action["type"] == "tool_call" else "final"
        arguments = (
            action["args"]
            if action["type"] == "tool_call"
            else {k: v for k, v in action.items() if k != "type"}
        )
    except (json.JSONDecodeError, KeyError, TypeError):
        return {"role": "assistant", "content": content}
    call = {
        "id": f"call_{uuid.uuid4().hex[:8]}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }
    return {"role": "assistant", "content": None, "tool_calls": [call]}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the default backlog (5) drops connections from many clients at once
    owner: ScriptedChatServer

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gave up (its request timed out) is part of the scripts it serves, not news.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class ScriptedChatServer:
    """Serves `policy` at http://127.0.0.1:<port>/v1 until stopped (or the `with` block ends)."""

    def __init__(
        self,
        policy: Policy,
        *,
        models: Sequence[str] = ("scripted",),
        latency_s: float = 0.0,
        faults: Sequence[Fault] = (),
        fault_source: FaultSource | None = None,
        port: int = 0,
        completion_policy: CompletionPolicy | None = None,
        prompt_scorer: PromptScorer | None = None,
        tokenize: Tokenize | None = None,
    ) -> None:
        self.policy = policy
        self.completion_policy = completion_policy
        self.prompt_scorer = prompt_scorer
        self.tokenize = tokenize
        self.models = set(models)
        self.latency_s = latency_s
        self._faults = list(faults)
        self._fault_source = fault_source
        self._lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        """Bodies of the chat requests answered normally."""
        self.calls = 0
        """Chat requests received, faulted or not."""
        self._http = _Server(("127.0.0.1", port), _Handler)
        self._http.owner = self
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}/v1"

    def next_fault(self) -> Fault | None:
        with self._lock:
            self.calls += 1
            if self._faults:
                return self._faults.pop(0)
            return self._fault_source(self.calls) if self._fault_source is not None else None

    def record(self, body: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(body)

    def start(self) -> ScriptedChatServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def __enter__(self) -> ScriptedChatServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
