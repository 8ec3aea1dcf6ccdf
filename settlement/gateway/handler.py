"""An SQS event in, a partial batch response out: what the gateway does with a batch.

The Lambda handler (`settlement.entrypoints.lambdas.gateway_handler`, behind an SQS event
source mapping with ReportBatchItemFailures), the local poller and the direct transport
all hand their events to `process_event`. Powertools' BatchProcessor builds the
`batchItemFailures` response and its parser validates each record's envelope; the whole
batch is staged in one database transaction when the processor opens (`_prepare`), and the
per-record handler then only reports the messages that must come back.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, NotRequired

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.base import FailureResponse, SuccessResponse
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.parser.models import SqsModel, SqsRecordModel
from pydantic import ValidationError
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

from settlement.gateway.service import BatchReport, Gateway, InboundMessage

log = logging.getLogger(__name__)


class RedeliveryRequested(Exception):
    """Raised for a record whose staging hit a transient error: SQS will deliver it again."""


class SqsAttributes(TypedDict):
    """`SqsAttributesModel`'s fields and types, validated alike, as a dict rather than a
    model instance of its own (that instance was a fifth of the envelope's cost, measured)."""

    ApproximateReceiveCount: str
    ApproximateFirstReceiveTimestamp: datetime
    MessageDeduplicationId: NotRequired[str | None]
    MessageGroupId: NotRequired[str | None]
    SenderId: str
    SentTimestamp: datetime
    SequenceNumber: NotRequired[str | None]
    AWSTraceHeader: NotRequired[str | None]
    DeadLetterQueueSourceArn: NotRequired[str | None]


class StagingSqsRecord(SqsRecordModel):
    """Powertools' SQS record model (extended as its documentation shows), the body typed
    as what SQS delivers and the gateway reads, text, and the attributes as above."""

    body: str
    attributes: SqsAttributes  # type: ignore[assignment]


class StagingSqsEvent(SqsModel):
    Records: list[StagingSqsRecord]


class StagingBatchProcessor(BatchProcessor):
    """A BatchProcessor that stages the whole batch at once instead of record by record."""

    def __init__(self, gateway: Gateway) -> None:
        super().__init__(EventType.SQS, raise_on_entire_batch_failure=False)
        self.gateway = gateway
        self.report = BatchReport()

    def _prepare(self) -> None:
        super()._prepare()  # type: ignore[no-untyped-call]
        inbound, bad_envelopes = inbound_messages(self.records)
        self.report = self.gateway.process(inbound)
        self.report.failed_message_ids |= bad_envelopes

    def record_handler(self, record: SQSRecord) -> None:
        if envelope_id(record.raw_event) in self.report.failed_message_ids:
            raise RedeliveryRequested(record.message_id)

    def _process_record(self, record: dict[str, Any]) -> SuccessResponse | FailureResponse:
        """A record the batch staged is a success without more ado: Powertools would wrap it
        in an `SQSRecord` and call `record_handler` only to learn that (a sixth of the
        envelope's cost a record, measured). The others take Powertools' own path."""
        if envelope_id(record) in self.report.failed_message_ids:
            return super()._process_record(record)
        return self.success_handler(record=record, result=None)


def inbound_messages(records: list[dict[str, Any]]) -> tuple[list[InboundMessage], set[str]]:
    """The messages of the records with a sound SQS envelope, and the ids of the others.

    The parser checks the whole batch in one pass; only a batch with a broken record pays
    for a second, record-by-record pass to tell which. A SentTimestamp the parser takes but
    that has no instant in UTC (year 1 at +01:00) is a broken envelope too, not its batch's
    failure."""
    try:
        event = StagingSqsEvent.model_validate({"Records": records})
        return [_inbound(record) for record in event.Records], set()
    except (ValidationError, OverflowError):
        pass
    inbound = []
    bad_envelopes: set[str] = set()
    for record in records:
        try:
            inbound.append(_inbound(StagingSqsRecord.model_validate(record)))
        except ValidationError as error:
            log.error("malformed SQS record envelope: %s", error.errors()[0]["msg"])
            bad_envelopes.add(envelope_id(record))
        except OverflowError:
            log.error("malformed SQS record envelope: SentTimestamp out of range in UTC")
            bad_envelopes.add(envelope_id(record))
    return inbound, bad_envelopes


def envelope_id(record: object) -> str:
    """A record's messageId as the batch's failures name it: text, whatever the envelope
    holds (a broken one may carry a number, or not be an object at all: "")."""
    return str(record.get("messageId", "")) if isinstance(record, dict) else ""


def _inbound(record: StagingSqsRecord) -> InboundMessage:
    return InboundMessage(record.messageId, record.body, _queued_at(record))


def _queued_at(record: StagingSqsRecord) -> datetime:
    """When SQS accepted the message (its SentTimestamp), as the staging tables keep times:
    naive UTC. Raises OverflowError for an instant outside datetime's range in UTC.

    Why not `astimezone(UTC).replace(tzinfo=None)`: the parser's own tzinfo and the keyword
    argument made that 3.2 us a message, this 1.6 (timeit), on the gateway's hot path."""
    sent = record.attributes["SentTimestamp"]
    offset = sent.utcoffset()
    if offset is None:
        return sent
    return datetime.combine(sent.date(), sent.time()) - offset


def process_event(
    event: dict[str, Any], gateway: Gateway
) -> tuple[PartialItemFailureResponse, BatchReport]:
    """Stage an SQS event's records; returns the Lambda response and the counts."""
    processor = StagingBatchProcessor(gateway)
    with processor(records=event.get("Records", []), handler=processor.record_handler):
        processor.process()
    return processor.response(), processor.report
