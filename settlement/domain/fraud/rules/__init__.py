"""One module per fraud rule; each exposes `Params`, a pure `check`, its pre-filter bound
`may_flag`, and `RULE`."""
