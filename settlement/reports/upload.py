"""Upload a date's report files to S3 under `reports/<date>/` (moto in the embedded mode,
any S3 endpoint in real mode): the same bytes as on disk, with a content type each."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from settlement.adapters.aws import ensure_bucket
from settlement.config import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
}


def report_prefix(day: date) -> str:
    return f"reports/{day.isoformat()}/"


def upload_reports(settings: Settings, day: date, files: Iterable[Path], s3: S3Client) -> list[str]:
    """Put every file under reports/<date>/ in the configured bucket; returns the keys. The
    client comes from the entry point, the one place that builds clients from settings."""
    ensure_bucket(s3, settings)
    keys = []
    for path in files:
        key = report_prefix(day) + path.name
        s3.put_object(
            Bucket=settings.s3_bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType=CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
        )
        keys.append(key)
    return keys
