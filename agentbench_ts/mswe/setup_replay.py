"""The recorded-setup step. Most PR-range specs of the official package were made by its environment
agent (their images are named `envagent/...`): the setup that agent ran in a container (installs,
Node upgrades, trial test runs) is recorded in the spec's `prepare.sh`, one action per
`###ACTION_DELIMITER###`, and not in its Dockerfile, which only clones and checks out; the published
image was committed from that session. Built from the Dockerfile alone, such an image lacks the setup
(often Node itself). Here the actions are replayed as one more build step: in order, in one shell (as
the session's `cd` and `export` carried over), in the Dockerfile's working directory, each allowed to
fail as it could in the session, the whole bounded in time; the install check then judges the image
as it judges any other."""

from __future__ import annotations

import base64
import re
from typing import Any

DELIMITER = "###ACTION_DELIMITER###"
REPLAY_DIR = "agentbench-setup"
REPLAY_LABEL = "agentbench.setup_replayed"
_RUNS_PREPARE = re.compile(r"^\s*RUN\b.*\bprepare\.sh\b", re.MULTILINE | re.IGNORECASE)


def recorded_setup(image: Any) -> list[str] | None:
    """The actions of the setup session an image's `prepare.sh` records and its Dockerfile does not
    run (None: nothing to replay; a spec whose Dockerfile runs prepare.sh itself is built as it is)."""
    prepare = next((f.content for f in image.files() if f.name == "prepare.sh"), None)
    if prepare is None or _RUNS_PREPARE.search(image.dockerfile()):
        return None
    actions = [action.strip() for action in prepare.split(DELIMITER)]
    return [action for action in actions if action] or None


def replay_script(actions: list[str]) -> str:
    """A bash script that sources each action in turn and reports the ones that failed."""
    lines = ["export CI=true DEBIAN_FRONTEND=noninteractive", "set +e"]
    for number, action in enumerate(actions, start=1):
        shown = action.splitlines()[0][:100].replace("'", "")
        encoded = base64.b64encode(action.encode()).decode()
        step = f"/tmp/{REPLAY_DIR}-step-{number}.sh"
        lines += [
            f"echo 'agentbench: setup step {number}/{len(actions)}: {shown}'",
            f"echo {encoded} | base64 -d > {step}",
            f". {step}",
            f"status=$?; rm -f {step}",
            f'[ "$status" = 0 ] || echo "agentbench: setup step {number} exited $status"',
        ]
    return "\n".join(lines) + "\n"


def replay_lines(timeout_s: int) -> str:
    """Dockerfile lines that run the replay (its script in the build context under REPLAY_DIR)."""
    return (
        f"COPY {REPLAY_DIR} /tmp/{REPLAY_DIR}\n"
        f"RUN timeout {timeout_s} bash /tmp/{REPLAY_DIR}/replay.sh; status=$?; rm -rf /tmp/{REPLAY_DIR};"
        f' if [ "$status" = 124 ]; then echo "agentbench: the recorded setup ran past {timeout_s} s";'
        " exit 1; fi"
    )
