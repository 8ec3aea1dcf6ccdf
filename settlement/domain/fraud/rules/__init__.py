"""One module per fraud rule; each exposes `Params`, a pure `check` and `RULE`."""
