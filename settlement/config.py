"""All of cardsettle's configuration, in one place.

Every setting comes from the environment (prefix ``CARDSETTLE_``) or an optional ``.env``
file in the working directory; nothing else reads ``os.environ``. Bad values fail at start
with a one-line message naming the variable (see `load_settings`).
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from settlement.domain.bank_accounts import (
    BankAccount,
    BankAccountInvalid,
    bic_fits_iban,
    parse_bic,
    parse_iban,
)
from settlement.domain.credit_transfer import NAME_MAX_CHARS, sepa_text
from settlement.domain.fx import DEFAULT_MAX_RATE_AGE_DAYS
from settlement.domain.plausibility import TimeWindow
from settlement.domain.rate_lines import DEFAULT_MAX_JUMP_PCT, RateRules

ENV_PREFIX = "CARDSETTLE_"
_QUEUE_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}(\.fifo)?")
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# embedded: moto inside this process; endpoint: any SQS/S3 endpoint (moto server,
# LocalStack); aws: AWS itself, found the way every AWS tool finds it (no endpoint override).
AwsMode = Literal["embedded", "endpoint", "aws"]


class DebugSettings(BaseSettings):
    """The one setting read on its own: the error boundary asks for it after a failure,
    which may be a bad value of any other setting."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", frozen=True
    )

    debug: bool = Field(
        False,
        description="`1`/`true`: a failed command shows its full traceback instead of its "
        "one-line `error: ...` (as the global `--debug` option does).",
        examples=[True],
    )


# Upper bounds of durations that had none: a larger value overflowed timedelta (an
# unexpected OverflowError at the run) or PostgreSQL's integer settings (lock_timeout).
_WEEK_S = 7 * 24 * 3600
_PG_INT_MAX = 2**31 - 1


class Settings(DebugSettings):
    """Effective settings. Each field's description, bounds and example are rendered into
    docs/configuration.md by `settlement.config_reference`; a test fails when they drift."""

    database_url: str = Field(
        "sqlite:///./cardsettle.db",
        description="SQLAlchemy URL of the staging database (SQLite file or PostgreSQL).",
        examples=["postgresql+psycopg://cardsettle:secret@localhost:5432/cardsettle"],
        json_schema_extra={"rule": "an `sqlite` or `postgresql` URL"},
    )
    aws_endpoint_url: str | None = Field(
        None,
        description="SQS/S3 endpoint (endpoint mode: moto server, LocalStack); unset = "
        "embedded mode, or AWS itself with `CARDSETTLE_AWS_MODE=aws`.",
        examples=["http://127.0.0.1:5000"],
        json_schema_extra={"rule": "`http(s)://host[:port]`"},
    )
    aws_region: str = Field(
        "eu-west-1", description="AWS region for SQS and S3.", examples=["us-east-1"]
    )
    queue_name: str = Field(
        "cardsettle-transactions",
        description="Main SQS queue.",
        examples=["cardsettle-test"],
        json_schema_extra={"rule": "1-80 of `A-Za-z0-9_-`, optionally ending `.fifo`"},
    )
    dlq_name: str = Field(
        "cardsettle-transactions-dlq",
        description="Dead-letter queue.",
        examples=["cardsettle-test-dlq"],
        json_schema_extra={"rule": "1-80 of `A-Za-z0-9_-`, optionally ending `.fifo`"},
    )
    max_receive_count: int = Field(
        3, ge=1, le=1000,
        description="Receives before SQS moves a message to the DLQ.",
        examples=[5],
    )  # fmt: skip
    visibility_timeout_s: int = Field(
        60, ge=0, le=43_200,
        description="SQS visibility timeout, seconds (>= 6x the handler's time).",
        examples=[180],
    )  # fmt: skip
    s3_bucket: str = Field(
        "cardsettle-reports",
        description="S3 bucket for reports.",
        examples=["acme-settlement-reports"],
        json_schema_extra={"rule": "an S3 bucket name: 3-63 of `a-z0-9.-`"},
    )
    business_timezone: str = Field(
        "Europe/Amsterdam",
        description="IANA timezone of the business day and the cutoff.",
        examples=["America/New_York"],
        json_schema_extra={"rule": "an IANA timezone name"},
    )
    cutoff_time: time = Field(
        time(22, 0),
        description="Business-day cutoff (local wall clock in the business timezone).",
        examples=["18:00"],
    )
    pan_token_key: SecretStr = Field(
        SecretStr("cardsettle-dev-token-key-change-me"),
        min_length=1,  # empty (a deploy's unset variable): every token an unkeyed hash
        description="HMAC key that turns a PAN into a card token. Set your own outside demos.",
        examples=["a-long-random-secret"],
    )
    reports_dir: Path = Field(
        Path("reports"),
        description="Where reports are written.",
        examples=["/var/lib/cardsettle/reports"],
    )
    sepa_debtor_name: str = Field(
        "Cardsettle Acquiring B.V.", min_length=1, max_length=70,
        description="Name of the acquirer's settlement account, the debtor of the SEPA "
        "credit transfer file (SEPA characters: Latin letters, digits, / - ? : ( ) . , ' +).",
        examples=["Example Acquiring N.V."],
    )  # fmt: skip
    sepa_debtor_iban: str = Field(
        "NL91ABNA0417164300",
        description="IBAN of the acquirer's settlement account the payouts are paid from; the "
        "default is a demo account (a valid, published example IBAN). Print format is fine.",
        examples=["NL02 ABNA 0123 4567 89"],
    )
    sepa_debtor_bic: str = Field(
        "ABNANL2A",
        description="BIC of that account's bank; empty = none (the file then says "
        "NOTPROVIDED, as SEPA's IBAN-only rules allow).",
        examples=["ABNANL2AXXX"],
    )
    sqs_price_per_million_usd: Decimal = Field(
        Decimal("0.40"), ge=0,
        description="Public SQS price per million requests, for the cost column of "
        "`settlement compare-modes`.",
        examples=["0.50"],
    )  # fmt: skip
    # End of day (issue 5).
    recon_amount_tolerance_minor: int = Field(
        0, ge=0,
        description="Tolerant matching: max amount difference, in minor units.",
        examples=[5],
    )  # fmt: skip
    recon_time_window_s: int = Field(
        300, ge=0,
        description="Tolerant matching: max seconds between staged and journal times.",
        examples=[600],
    )  # fmt: skip
    fx_markup_bps: int = Field(
        0, ge=0, le=1000,
        description="FX markup on cross-currency purchases, basis points.",
        examples=[50],
    )  # fmt: skip
    fraud_rules_file: Path | None = Field(
        None,
        description="TOML fraud rulebook laid over the shipped default rules; unset = the "
        "defaults alone.",
        examples=["rules.toml"],
    )
    eod_late_lookback_days: int = Field(
        3, ge=0, le=60,
        description="Earlier business dates searched for late arrivals.",
        examples=[5],
    )  # fmt: skip
    eod_stale_run_s: int = Field(
        3600, ge=1, le=_WEEK_S,
        description="A run 'running' longer than this is taken as crashed.",
        examples=[7200],
    )  # fmt: skip
    scheduler_misfire_grace_s: int = Field(
        3600, ge=1, le=_WEEK_S,
        description="How late the scheduler may still fire a missed cutoff run.",
        examples=[600],
    )  # fmt: skip
    # Gateway robustness.
    retry_backoff_base_s: int = Field(
        1, ge=0, le=43_200,
        description="Poller backoff: a message reported for redelivery stays hidden "
        "base * 2^(receives-1) s; a consumer whose whole batch failed pauses on the same "
        "scale (jittered).",
        examples=[2],
    )  # fmt: skip
    retry_backoff_max_s: int = Field(
        60, ge=0, le=43_200,
        description="Cap of that backoff, seconds (43200 is SQS's limit).",
        examples=[300],
        json_schema_extra={"rule": "not below `CARDSETTLE_RETRY_BACKOFF_BASE_S`"},
    )  # fmt: skip
    gateway_lock_timeout_ms: int = Field(
        5000, ge=0, le=_PG_INT_MAX,
        description="PostgreSQL `lock_timeout` of gateway connections: a held lock fails the "
        "batch for redelivery instead of hanging (0 = wait forever).",
        examples=[2000],
    )  # fmt: skip
    gateway_statement_timeout_ms: int = Field(
        30_000, ge=0, le=_PG_INT_MAX,
        description="PostgreSQL `statement_timeout` of gateway connections (0 = none).",
        examples=[60_000],
    )  # fmt: skip
    gateway_startup_wait_s: int = Field(
        60, ge=0, le=3600,
        description="How long a starting gateway (`gateway consume`, `ingest`, a Lambda cold "
        "start) waits for an unreachable database, retrying with backoff, before it gives "
        "up (0 = try once).",
        examples=[300],
    )  # fmt: skip
    # Plausible timestamps (settlement.domain.plausibility), for messages and journal rows.
    time_max_age_days: int = Field(
        3650, ge=1, le=100_000,
        description="A message's `local_time` or `sent_at` (or a journal line's time) more "
        "than this many days before it reaches cardsettle is rejected as `implausible_time`.",
        examples=[365],
    )  # fmt: skip
    time_max_ahead_s: int = Field(
        86_400, ge=0, le=31_536_000,
        description="Clock skew allowed: a timestamp up to this many seconds after the "
        "receiving clock, or a `sent_at` this much before its `local_time`, is still "
        "plausible.",
        examples=[3600],
    )  # fmt: skip
    time_max_delivery_delay_days: int = Field(
        30, ge=0, le=3650,
        description="A message's `sent_at` may follow its `local_time` by at most this many "
        "days (a terminal that stored it offline); later is `implausible_time`.",
        examples=[7],
    )  # fmt: skip
    rate_max_jump_pct: int = Field(
        DEFAULT_MAX_JUMP_PCT, ge=1, le=10_000,
        description="`settlement rates import` refuses a rate more than this many percent "
        "above or below the latest earlier known rate of its currency (imported, in the same "
        "file, or the ECB's); the ECB's own rate of a date the shipped history holds is exempt. "
        "Raise it for the import of a later real devaluation.",
        examples=[60],
    )  # fmt: skip
    fx_max_rate_age_days: int = Field(
        DEFAULT_MAX_RATE_AGE_DAYS, ge=0, le=3650,
        description="The end of day converts with the latest rate at or before the business "
        "date only if it is at most this many days old (business date minus rate date); an "
        "older one holds the pair's lines `no_rate` with the rate's age in the reason (also "
        "for the fraud screen's EUR amounts). The default 5 covers the longest TARGET "
        "closing: Easter, when Thursday's rate serves through Easter Monday (4 days) and a "
        "Tuesday run before the ECB's 16:00 CET publication still has only it (5 days), the "
        "longest gap between two ECB publications since 1999 (docs/fx-rates.md).",
        examples=[3],
    )  # fmt: skip
    aws_mode: AwsMode | None = Field(
        None, validate_default=True,
        description="Where SQS and S3 are: `embedded` (moto in this process), `endpoint` "
        "(`CARDSETTLE_AWS_ENDPOINT_URL`), `aws` (AWS itself: no endpoint, boto3's credential "
        "chain). Unset = `endpoint` if an endpoint URL is set, else `embedded`.",
        examples=["aws"],
        json_schema_extra={"rule": "`endpoint` needs an endpoint URL, the others refuse one"},
    )  # fmt: skip

    @field_validator("database_url")
    @classmethod
    def _valid_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(f"malformed database URL {value!r}") from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            backend = url.get_backend_name()
            raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")
        return value

    @field_validator("aws_endpoint_url")
    @classmethod
    def _valid_endpoint(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"malformed endpoint URL {value!r}: expected http(s)://host[:port]")
        return value

    @field_validator("retry_backoff_max_s")
    @classmethod
    def _cap_not_below_base(cls, value: int, info: ValidationInfo) -> int:
        base = info.data.get("retry_backoff_base_s")
        if base is not None and value < base:
            raise ValueError(f"{value} is below CARDSETTLE_RETRY_BACKOFF_BASE_S ({base})")
        return value

    @field_validator("aws_mode", mode="before")
    @classmethod
    def _default_aws_mode(cls, value: object, info: ValidationInfo) -> object:
        if value in (None, ""):
            return "endpoint" if info.data.get("aws_endpoint_url") else "embedded"
        return value.lower() if isinstance(value, str) else value

    @field_validator("aws_mode")
    @classmethod
    def _mode_matches_endpoint(cls, value: AwsMode, info: ValidationInfo) -> AwsMode:
        endpoint = info.data.get("aws_endpoint_url")
        if value == "endpoint" and not endpoint and "aws_endpoint_url" in info.data:
            raise ValueError("endpoint mode needs CARDSETTLE_AWS_ENDPOINT_URL")
        if value != "endpoint" and endpoint:
            raise ValueError(f"{value} mode takes no endpoint, but CARDSETTLE_AWS_ENDPOINT_URL "
                             f"is {endpoint!r}: unset it or use endpoint mode")  # fmt: skip
        return value

    @field_validator("business_timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}: expected an IANA name") from None
        return value

    @field_validator("queue_name", "dlq_name")
    @classmethod
    def _valid_queue(cls, value: str) -> str:
        if not _QUEUE_NAME.fullmatch(value):
            raise ValueError(f"invalid SQS queue name {value!r}")
        return value

    @field_validator("sepa_debtor_name")
    @classmethod
    def _sepa_name(cls, value: str) -> str:
        if sepa_text(value, NAME_MAX_CHARS) != value:
            raise ValueError(
                f"{value!r} holds characters outside the SEPA set (Latin letters, digits,"
                " / - ? : ( ) . , ' + and single spaces)"
            )
        return value

    @field_validator("sepa_debtor_iban")
    @classmethod
    def _sepa_iban(cls, value: str) -> str:
        try:
            iban = parse_iban(value)
        except BankAccountInvalid as problem:
            raise ValueError(str(problem)) from None
        if not BankAccount(iban).in_sepa_zone:
            raise ValueError(f"{iban[:2]} is not in the SEPA scheme")
        return iban

    @field_validator("sepa_debtor_bic")
    @classmethod
    def _sepa_bic(cls, value: str, info: ValidationInfo) -> str:
        if not value:
            return value
        try:
            bic = parse_bic(value)
        except BankAccountInvalid as problem:
            raise ValueError(str(problem)) from None
        iban = info.data.get("sepa_debtor_iban")
        if iban is not None and not bic_fits_iban(bic, iban):
            raise ValueError(f"bic {bic} is a bank in {bic[4:6]}, the iban in {iban[:2]}")
        return bic

    @field_validator("s3_bucket")
    @classmethod
    def _valid_bucket(cls, value: str) -> str:
        if not _BUCKET_NAME.fullmatch(value):
            raise ValueError(f"invalid S3 bucket name {value!r}")
        return value

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.business_timezone)

    @property
    def time_window(self) -> TimeWindow:
        """The plausible-timestamp rule these settings configure."""
        return TimeWindow(
            max_age=timedelta(days=self.time_max_age_days),
            max_ahead=timedelta(seconds=self.time_max_ahead_s),
            max_delivery_delay=timedelta(days=self.time_max_delivery_delay_days),
        )

    @property
    def rate_rules(self) -> RateRules:
        """What `rates import` holds a rate to, from these settings."""
        return RateRules(max_jump_pct=self.rate_max_jump_pct, window=self.time_window)

    @property
    def embedded_aws(self) -> bool:
        """True when SQS and S3 are moto in this process."""
        return self.aws_mode == "embedded"

    def masked(self) -> dict[str, str]:
        """Effective settings as environment names -> display strings, secrets masked."""
        shown: dict[str, str] = {}
        for name in type(self).model_fields:
            value: Any = getattr(self, name)
            text = "********" if isinstance(value, SecretStr) else _display(value)
            shown[ENV_PREFIX + name.upper()] = text
        shown[ENV_PREFIX + "DATABASE_URL"] = make_url(self.database_url).render_as_string(
            hide_password=True
        )
        return shown


def _display(value: object) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)


class ConfigurationError(Exception):
    """Settings that cannot be used; the message is one line naming the variable."""


def debug_enabled() -> bool:
    """CARDSETTLE_DEBUG, read alone; a bad value counts as off (load_settings reports it)."""
    try:
        return DebugSettings().debug
    except ValidationError:
        return False


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning pydantic's multi-line report into one line per problem."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            field = ENV_PREFIX + ".".join(str(part) for part in item["loc"]).upper()
            message = str(item["msg"]).removeprefix("Value error, ")
            problems.append(f"{field}: {message}")
        raise ConfigurationError("configuration error: " + "; ".join(problems)) from None
