"""Where cardsettle starts, beside the `settlement` commands (settlement/cli/).

- `lambdas`: the two AWS Lambda handlers, `gateway_handler` (SQS event source mapping) and
  `eod_handler` (EventBridge Scheduler at the cutoff);
- `eod_task`: the end-of-day Lambda's run as a container's command (ECS Fargate, for days
  past the function's 15 minutes);
- `scheduler`: the local end-of-day scheduler and its persisted job;
- `wiring`: settings to running parts (engines, the gateway), shared with the commands.

These and settlement/cli/ are the only modules that read the settings, the wall clock, or
build engines and AWS clients; everything below receives them as arguments. This package is
apart from settlement/cli/ so that a Lambda's cold start does not import Typer, rich and
every command module (settlement/cli/__init__.py registers them all).
"""
