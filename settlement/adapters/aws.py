"""boto3 clients for SQS and S3: moto in this process (embedded mode), any endpoint
(endpoint mode: a moto server, LocalStack) or AWS itself (aws mode).

Embedded mode starts moto's in-process mock once per process and keeps it for the life of
the process, so a sender and a consumer in the same process share one queue.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

from settlement.config import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

_EMBEDDED_LOCK = threading.Lock()
_embedded_mock: Any = None

# Credentials only matter to moto; endpoint and aws mode use the normal boto3 credential chain.
_MOTO_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def start_embedded_aws() -> None:
    """Start moto's in-process AWS once; idempotent and thread-safe."""
    global _embedded_mock  # noqa: PLW0603 - one mock per process is the point
    with _EMBEDDED_LOCK:
        if _embedded_mock is None:
            from moto import mock_aws  # noqa: PLC0415 - moto is only needed in embedded mode

            _embedded_mock = mock_aws()
            _embedded_mock.start()


def stop_embedded_aws() -> None:
    """Stop the in-process AWS if it runs, dropping its queues and buckets (tests use this
    to keep one test's messages out of the next)."""
    global _embedded_mock  # noqa: PLW0603
    with _EMBEDDED_LOCK:
        if _embedded_mock is not None:
            _embedded_mock.stop()
            _embedded_mock = None


def client_kwargs(settings: Settings) -> dict[str, Any]:
    """boto3 client arguments for the configured `aws_mode`.

    Only embedded mode passes credentials (moto's dummies); endpoint and aws mode leave them
    to boto3's credential chain (environment, profile, SSO, instance or Lambda role), and only
    endpoint mode overrides where requests go.
    """
    kwargs: dict[str, Any] = {"region_name": settings.aws_region}
    if settings.aws_mode == "embedded":
        start_embedded_aws()
        kwargs.update(_MOTO_CREDENTIALS)
    elif settings.aws_mode == "endpoint":
        kwargs["endpoint_url"] = settings.aws_endpoint_url
    return kwargs


def describe_target(settings: Settings) -> str:
    """Where SQS and S3 requests go, in words for the user."""
    if settings.aws_mode == "embedded":
        return "moto (in-process)"
    if settings.aws_mode == "endpoint":
        return str(settings.aws_endpoint_url)
    return f"AWS ({settings.aws_region})"


def sqs_client(settings: Settings) -> SQSClient:
    import boto3  # noqa: PLC0415 - boto3 costs ~0.2 s to import; commands without AWS skip it

    return boto3.client("sqs", **client_kwargs(settings))


def s3_client(settings: Settings) -> S3Client:
    import boto3  # noqa: PLC0415 - see sqs_client

    return boto3.client("s3", **client_kwargs(settings))


def queue_url(sqs: SQSClient, name: str) -> str:
    return sqs.get_queue_url(QueueName=name)["QueueUrl"]


def create_queues(sqs: SQSClient, settings: Settings) -> tuple[str, str]:
    """Create the main queue and its DLQ with a redrive policy; idempotent. Returns both URLs."""
    dlq_url = sqs.create_queue(QueueName=settings.dlq_name)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(settings.max_receive_count)}
    main_url = sqs.create_queue(QueueName=settings.queue_name)["QueueUrl"]
    sqs.set_queue_attributes(
        QueueUrl=main_url,
        Attributes={
            "VisibilityTimeout": str(settings.visibility_timeout_s),
            "RedrivePolicy": json.dumps(redrive),
        },
    )
    return main_url, dlq_url


def ensure_bucket(s3: S3Client, settings: Settings) -> None:
    existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    if settings.s3_bucket in existing:
        return
    if settings.aws_region == "us-east-1":
        s3.create_bucket(Bucket=settings.s3_bucket)
    else:
        s3.create_bucket(
            Bucket=settings.s3_bucket,
            CreateBucketConfiguration={"LocationConstraint": settings.aws_region},  # type: ignore[typeddict-item]
        )
