"""The two AWS Lambda handlers, named alike: `gateway_handler` and `eod_handler`.

deploy/template.yaml points at them. Each reads the settings and the wall clock here, and
builds its engine once per container (Lambda reuses the process between invocations);
what they call below receives all of it as arguments. Each handler imports its own stage
inside its body: a container runs one of the two, and its cold start pays only for that one
(the end of day's modules are not the gateway's, and Powertools is not the end of day's).

- `gateway_handler`: the SQS event source mapping's target (ReportBatchItemFailures on).
  It stages the batch through `settlement.gateway.handler.process_event` and returns the
  partial batch response, so only the failed records come back.
- `eod_handler`: EventBridge Scheduler's target at the cutoff. The event may name the date
  (`settlement.eod.lambda_event` reads it); the run's payout file is published to the
  reports bucket, since Lambda's /tmp vanishes with the container. That run is
  `run_and_publish`, shared with the Fargate task (`settlement.entrypoints.eod_task`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from settlement.adapters.clock import Clock, utc_now
from settlement.config import Settings, load_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from sqlalchemy import Engine

    from settlement.eod.run import RunReport
    from settlement.gateway.service import Gateway

log = logging.getLogger(__name__)

_GATEWAY: Gateway | None = None
# The event source mapping's BatchSize in deploy/template.yaml (a test holds them equal): the
# event does not carry it, and gateway_batches records it as the consumer's batch size.
LAMBDA_BATCH_SIZE = 10
_ENGINES: dict[str, Engine] = {}


def gateway_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    """AWS Lambda handler for the SQS event source mapping (ReportBatchItemFailures on)."""
    from settlement.gateway.batches import Consumer, consuming  # noqa: PLC0415
    from settlement.gateway.handler import process_event  # noqa: PLC0415 - see the docstring

    function = getattr(context, "function_name", None) or "gateway"
    with consuming(Consumer(f"lambda:{function}"[:128], LAMBDA_BATCH_SIZE)):
        response, report = process_event(event, _cold_start_gateway())
    log.info(
        "batch: received=%d staged=%d duplicates=%d rejected=%s redeliver=%d",
        report.received, report.staged, report.duplicates, dict(report.rejected),
        len(report.failed_message_ids),
    )  # fmt: skip
    return response


def _cold_start_gateway() -> Gateway:
    global _GATEWAY  # noqa: PLW0603 - Lambda reuses the process: build once per container
    if _GATEWAY is None:
        from settlement.entrypoints.wiring import gateway_from_settings  # noqa: PLC0415

        _GATEWAY = gateway_from_settings(load_settings())
    return _GATEWAY


def eod_handler(event: Mapping[str, Any] | None, context: Any) -> dict[str, Any]:
    """AWS Lambda handler of the end of day (EventBridge Scheduler, or an operator's event)."""
    from settlement.eod.lambda_event import OWNER  # noqa: PLC0415 - see the module docstring

    settings = load_settings()
    request_id = getattr(context, "aws_request_id", None)
    owner = f"{OWNER}:{request_id}" if request_id else OWNER  # shown when a run is refused
    return run_eod_event(event, settings, _warm_engine(settings), utc_now, owner)


def run_eod_event(
    event: Mapping[str, Any] | None, settings: Settings, engine: Engine, clock: Clock,
    owner: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Run (or decline to run) the date the event asks for and publish its payout files."""
    from settlement.eod.lambda_event import summary  # noqa: PLC0415 - see the module docstring

    return summary(*run_and_publish(event, settings, engine, clock, owner))


def run_and_publish(
    event: Mapping[str, Any] | None, settings: Settings, engine: Engine, clock: Clock,
    owner: str | None = None, *, screen_aside: bool = False,
) -> tuple[RunReport, list[str]]:  # fmt: skip
    """The end of day behind both engines (this Lambda and the Fargate task of
    `settlement.entrypoints.eod_task`): the run and the S3 keys of its payout files.
    `screen_aside`: a large day's fraud screen in a second process (the Fargate task, where
    large days run; the Lambda's memory is sized for one process)."""
    from settlement.adapters.aws import s3_client  # noqa: PLC0415 - see the module docstring
    from settlement.eod.bank_file import bank_file_path, bank_terms  # noqa: PLC0415
    from settlement.eod.lambda_event import OWNER, request_from_event  # noqa: PLC0415
    from settlement.eod.payout_file import write_payout_file  # noqa: PLC0415
    from settlement.eod.run import RunReportStatus, run_end_of_day  # noqa: PLC0415
    from settlement.reports.upload import upload_reports  # noqa: PLC0415

    request = request_from_event(event, settings, clock(), owner or OWNER)
    if screen_aside:
        from settlement.entrypoints.reading import screen_opener  # noqa: PLC0415

        request = replace(request, open_screen=screen_opener(settings))
    report = run_end_of_day(engine, settings, request)
    keys: list[str] = []
    if report.status in {RunReportStatus.COMPLETED, RunReportStatus.ALREADY_COMPLETED}:
        # A run that just completed wrote the file, as did one that found it missing; a copy
        # left in this container's /tmp by an earlier run may predate a re-run, so it is
        # written again from the committed payouts.
        day = request.business_date
        payout_file = report.payout_file or write_payout_file(
            engine, day, settings.reports_dir, replace=True, bank=bank_terms(settings, day)
        )
        bank_file = bank_file_path(day, settings.reports_dir)  # none: no euro transfer
        files = [payout_file, bank_file] if bank_file.is_file() else [payout_file]
        keys = upload_reports(settings, day, files, s3_client(settings))
    log.info("%s", report.message)
    return report, keys


def _warm_engine(settings: Settings) -> Engine:
    """One engine per container and URL: Lambda reuses the process between invocations."""
    from settlement.adapters import database  # noqa: PLC0415 - see the module docstring

    url = settings.database_url
    if url not in _ENGINES:
        _ENGINES[url] = database.open_existing(url)  # never creates one, as `settlement eod`
    return _ENGINES[url]
