"""The Docker backend: one container per episode, images built offline, workspaces on this machine.
Needs the docker SDK (the `docker` extra) and a local daemon."""
