"""Training the next adapter on extracted datasets: SFT and DPO with TRL on two backends (Unsloth or
transformers + PEFT), an adapter folder vLLM can serve with its metadata, a vLLM compatibility check,
a canary that proves the adapter changes the model, and checkpoints chosen by task results.

Needs the `train` extra (datasets, torch, transformers, peft, trl; Unsloth installed after it)."""
