#!/usr/bin/env python3
"""FakeVllm: stands in for the `vllm` executable, which cannot run here (no GPU).

It accepts `vllm serve BASE --host H --port P [--served-model-name N] [--lora-modules a=p ...]`
and serves those names with the scripted OpenAI-compatible server until SIGTERM.
"""

import argparse
import json
import signal
import sys
import time

from agentbench_ts.testing.scripted_server import ScriptedChatServer

parser = argparse.ArgumentParser()
parser.add_argument("command", choices=["serve"])
parser.add_argument("base")
parser.add_argument("--host")
parser.add_argument("--port", type=int)
parser.add_argument("--served-model-name")
parser.add_argument("--lora-modules", nargs="*", default=[])
args, _ = parser.parse_known_args()
if args.base == "crash":
    print("fake vllm: cannot load model 'crash'", flush=True)
    sys.exit(3)
names = [args.served_model_name or args.base, *(m.split("=", 1)[0] for m in args.lora_modules)]
reply = json.dumps({"type": "final", "status": "give_up", "message": "fake"}, separators=(",", ":"))
server = ScriptedChatServer(lambda messages: reply, models=names, port=args.port).start()
print(f"fake vllm serving {names}", flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    time.sleep(1)
