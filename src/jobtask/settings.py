"""Configuration from the environment: the only module that reads it. Validated once at start-up."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from jobtask import spaceone_config
from jobtask.domain import MAX_ERROR_MESSAGE_CHARS, MAX_ERRORS_KEPT, Limits, is_time_zone

DEFAULT_MONGODB_URI = "mongodb://127.0.0.1:27017"
LIMITS = Limits()


def _jwks_items(value: str) -> list[tuple[str, str, str]]:
    """IDENTITY_JWKS's non-empty items as (domain_id, "=", path), stripped ("" when absent)."""
    items = []
    for item in value.split(","):
        if item.strip():
            domain_id, equals, path = item.partition("=")
            items.append((domain_id.strip(), equals, path.strip()))
    return items


class _Unusable:
    """SPACEONE_CONFIG_FILE's value when its files cannot be used: its field refuses it with the
    reason, so the start-up error is the usual one line naming the variable (and the file)."""

    def __init__(self, path: str, reason: str) -> None:
        self.path, self.reason = path, reason

    def __repr__(self) -> str:
        return repr(self.path)


class Settings(BaseSettings):
    """Each field is an environment variable of the same name in upper case."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    mongodb_uri: SecretStr = Field(default=SecretStr(DEFAULT_MONGODB_URI))
    mongodb_database: str = Field(default="inventory", min_length=1)
    mongodb_connect_timeout_ms: int = Field(default=5000, ge=100, le=600_000)
    mongodb_server_selection_timeout_ms: int = Field(default=5000, ge=100, le=600_000)
    # Upper bound for one database operation; a call's own gRPC deadline can only shorten it.
    mongodb_operation_timeout_ms: int = Field(default=10_000, ge=100, le=3_600_000)
    mongodb_max_pool_size: int = Field(default=50, ge=1, le=1000)
    grpc_host: str = Field(default="[::]", min_length=1)
    grpc_port: int = Field(default=50051, ge=0, le=65535)
    grpc_workers: int = Field(default=16, ge=1, le=1024)
    grpc_max_message_bytes: int = Field(default=4 * 1024 * 1024, ge=64 * 1024)
    # The largest request gRPC reads (RESOURCE_EXHAUSTED past it, before decoding); answers may
    # still be GRPC_MAX_MESSAGE_BYTES.
    grpc_max_receive_bytes: int = Field(default=1024 * 1024, ge=16 * 1024)
    shutdown_grace_seconds: float = Field(default=10.0, ge=0, le=300)
    max_page_size: int = Field(default=1000, ge=1, le=100_000)
    log_level: str = Field(default="INFO")
    # stat: the server-side time limit of one aggregation (the call's deadline and
    # MONGODB_OPERATION_TIMEOUT_MS can only shorten it), the most rows one answer may hold, and
    # the time zone of date_format buckets when the call sends no `timezone` metadata.
    stat_max_time_ms: int = Field(default=10_000, ge=100, le=3_600_000)
    stat_max_rows: int = Field(default=10_000, ge=1, le=1_000_000)
    stat_timezone: str = Field(default="UTC", min_length=1)
    # The collector side (jobtask_internal.v1.JobTaskWriter).
    job_task_retention_days: int | None = Field(default=None, ge=1, le=36_500)
    job_task_max_errors: int = Field(default=MAX_ERRORS_KEPT, ge=1, le=10_000)
    job_task_max_error_message_chars: int = Field(
        default=MAX_ERROR_MESSAGE_CHARS, ge=64, le=1_000_000
    )
    # Observability: Prometheus metrics on their own HTTP port (0: none), the log line format, the
    # latency over which a call is logged as slow, and optional OpenTelemetry tracing (the `otel`
    # extra; the SDK reads its own OTEL_EXPORTER_OTLP_* variables).
    metrics_host: str = Field(default="0.0.0.0", min_length=1)
    metrics_port: int = Field(default=9090, ge=0, le=65535)
    log_format: Literal["json", "text"] = "json"
    slow_call_ms: int = Field(default=1000, ge=0, le=3_600_000)
    otel_enabled: bool = False
    otel_exporter: Literal["otlp", "console"] = "otlp"
    # Authentication: RS256/ES256 JWTs in the `token` (or `authorization: Bearer`) metadata,
    # verified with these public keys (comma-separated PEM or JWKS files; several for rotation).
    auth_enabled: bool = False
    # jwt: the keys below; spaceone: SpaceONE identity's tokens, as SpaceONE's services take them.
    auth_mode: Literal["jwt", "spaceone"] = "jwt"
    auth_public_keys: str = Field(default="", validate_default=True)
    auth_audience: str = Field(default="spaceone", min_length=1)
    auth_issuer: str = ""  # empty: not checked
    auth_leeway_seconds: int = Field(default=30, ge=0, le=300)
    # AUTH_MODE=spaceone: identity's gRPC endpoint (grpc://host:port) and/or per-domain JWKS
    # files (domain_id=path,...; those domains' keys are not asked for). Public keys are kept
    # IDENTITY_KEY_TTL_SECONDS (at most IDENTITY_KEY_CACHE_SIZE domains), fetched again on an
    # unknown kid or a bad signature at most every IDENTITY_KEY_REFRESH_SECONDS per domain and
    # IDENTITY_LOOKUPS_PER_SECOND in all; Authorization.verify answers are kept
    # IDENTITY_VERIFY_TTL_SECONDS per token and api method (0: asked on every call).
    identity_endpoint: str = ""
    identity_jwks: str = Field(default="", validate_default=True)
    identity_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    identity_key_ttl_seconds: float = Field(default=300, ge=1, le=86_400)
    identity_key_cache_size: int = Field(default=1024, ge=1, le=1_000_000)
    identity_key_refresh_seconds: float = Field(default=10, ge=0, le=3600)
    identity_lookups_per_second: float = Field(default=20, gt=0, le=10_000)
    identity_verify_ttl_seconds: float = Field(default=10, ge=0, le=3600)
    identity_verify_cache_size: int = Field(default=10_000, ge=0, le=10_000_000)
    identity_check_api_keys: bool = True
    # TLS: the server's certificate and key (empty: plaintext). With a client CA, the writer
    # service is served with mutual TLS on WRITER_GRPC_PORT only, and refused on GRPC_PORT.
    tls_cert_file: str = ""
    tls_key_file: str = Field(default="", validate_default=True)
    tls_client_ca_file: str = Field(default="", validate_default=True)
    writer_grpc_port: int = Field(default=50052, ge=0, le=65535, validate_default=True)
    # The HTTP/JSON interface: JobTask's rpcs at their google.api.http paths on a port of its own
    # (0: a free port), served by HTTP_WORKERS threads; TLS and tokens as on GRPC_PORT.
    http_enabled: bool = True
    http_host: str = Field(default="0.0.0.0", min_length=1)
    http_port: int = Field(default=8080, ge=0, le=65535)
    http_workers: int = Field(default=16, ge=1, le=1024)
    # Hostile HTTP clients: the longest deadline a request may ask for (X-Request-Timeout seconds
    # or grpc-timeout) and the one it gets when it asks for none; the largest body (413 past it);
    # how long reading a request's headers or body may take (408 / closed past it); how long an
    # idle keep-alive connection stays open.
    http_max_deadline_seconds: float = Field(default=30.0, gt=0, le=3600)
    http_max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    http_read_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    http_keep_alive_seconds: int = Field(default=5, ge=1, le=600)
    # Hostile input: how big one query may be (jobtask.query.limits; domain.Limits gives the names
    # and defaults; past a limit the call is INVALID_ARGUMENT naming it), checked before any
    # database work.
    max_filters: int = Field(default=LIMITS.max_filters, ge=1, le=10_000)
    max_value_depth: int = Field(default=LIMITS.max_value_depth, ge=1, le=32)
    max_regex_length: int = Field(default=LIMITS.max_regex_length, ge=1, le=100_000)
    max_list_values: int = Field(default=LIMITS.max_list_values, ge=1, le=1_000_000)
    max_aggregate_stages: int = Field(default=LIMITS.max_aggregate_stages, ge=1, le=1000)
    max_only_fields: int = Field(default=LIMITS.max_only_fields, ge=1, le=10_000)
    max_stage_fields: int = Field(default=LIMITS.max_stage_fields, ge=1, le=10_000)
    # Outages: the database is pinged this often (each ping may take as long); the health service
    # answers NOT_SERVING while it does not answer.
    db_health_interval_seconds: float = Field(default=2.0, ge=0.05, le=300)
    # Who manages the collection's indexes at start-up: `create` (default) creates the missing
    # ones and never drops or alters one; `owner` also brings the TTL index in line with
    # JOB_TASK_RETENTION_DAYS (create, change, drop); `off` touches none.
    index_management: Literal["create", "owner", "off"] = "create"
    # The collection is (to be) sharded by {domain_id: "hashed"} (`python -m jobtask
    # shard-collection`): its unique index is {domain_id: 1, job_task_id: 1}, which the shard key
    # prefixes, instead of SpaceONE's job_task_id_1, which a sharded cluster cannot keep unique.
    mongodb_sharded: bool = False
    # SpaceONE's own files (jobtask.spaceone_config): config.yaml and the files its IMPORT and
    # REMOTE_URL name, as SpaceONE's charts mount them. They give MONGODB_URI, MONGODB_DATABASE,
    # MONGODB_MAX_POOL_SIZE, SPACEONE_TOKEN and IDENTITY_ENDPOINT; an environment variable wins.
    spaceone_config_file: str = ""
    # SpaceONE's system token (TOKEN in SpaceONE's files). Read and kept; nothing sends it yet.
    spaceone_token: SecretStr = Field(default=SecretStr(""))
    # The SpaceONE API line this process serves (1: spaceone.api.inventory.v1 as SpaceONE 1.x
    # serves it; 2: as SpaceONE 2.x does, its scope from the caller: docs/spaceone-2x.md). One
    # process serves one line: their wires share names but not field numbers.
    spaceone_api: int = Field(default=1, ge=1, le=2)

    @model_validator(mode="before")
    @classmethod
    def _spaceone_files(cls, data: Any) -> Any:
        """SPACEONE_CONFIG_FILE's values under the environment's (which the sources gave)."""
        if not isinstance(data, dict) or not data.get("spaceone_config_file"):
            return data
        path = str(data["spaceone_config_file"])
        try:
            from_files = spaceone_config.settings_values(path)
        except spaceone_config.SpaceoneConfigError as error:
            return {**data, "spaceone_config_file": _Unusable(path, str(error))}
        return {**from_files, **data}

    @field_validator("spaceone_config_file", mode="before")
    @classmethod
    def _usable_files(cls, value: object) -> object:
        if isinstance(value, _Unusable):
            raise ValueError(value.reason)
        return value

    @field_validator("spaceone_api")
    @classmethod
    def _served_line(cls, value: int, info: ValidationInfo) -> int:
        spaceone = info.data.get("auth_enabled") and info.data.get("auth_mode") == "spaceone"
        if value == 2 and spaceone:
            raise ValueError(
                "the 2.x line does not take SpaceONE identity's tokens yet (AUTH_MODE=spaceone): "
                "use AUTH_MODE=jwt, or AUTH_ENABLED=false with x_domain_id metadata"
            )
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("stat_timezone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        if not is_time_zone(value):
            raise ValueError("must be an IANA time zone name such as UTC or Asia/Seoul")
        return value

    @field_validator("mongodb_uri")
    @classmethod
    def _mongodb_scheme(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("mongodb://", "mongodb+srv://")):
            raise ValueError("must start with mongodb:// or mongodb+srv://")
        return value

    @property
    def auth_public_key_files(self) -> tuple[str, ...]:
        return tuple(path.strip() for path in self.auth_public_keys.split(",") if path.strip())

    @field_validator("auth_public_keys")
    @classmethod
    def _keys_when_enabled(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("auth_mode") == "spaceone":
            return value
        if info.data.get("auth_enabled") and not value.replace(",", "").strip():
            raise ValueError("AUTH_ENABLED=true needs at least one public key file")
        return value

    @property
    def limits(self) -> Limits:
        """The query limits, each from the setting of its name (MAX_FILTERS, ...), as one value."""
        return Limits(**{f.name: getattr(self, f.name) for f in dataclasses.fields(Limits)})

    @property
    def identity_jwks_files(self) -> dict[str, str]:
        """IDENTITY_JWKS as {domain_id: path}."""
        return {domain_id: path for domain_id, _, path in _jwks_items(self.identity_jwks)}

    @field_validator("identity_endpoint")
    @classmethod
    def _grpc_endpoint(cls, value: str) -> str:
        if value and not value.startswith(("grpc://", "grpc+ssl://")):
            raise ValueError("must be grpc://host:port or grpc+ssl://host:port")
        return value

    @field_validator("identity_jwks")
    @classmethod
    def _identity_when_spaceone(cls, value: str, info: ValidationInfo) -> str:
        for domain_id, equals, path in _jwks_items(value):
            if not (domain_id and equals and path):
                raise ValueError("must be domain_id=path[,domain_id=path...]")
        spaceone = info.data.get("auth_enabled") and info.data.get("auth_mode") == "spaceone"
        if spaceone and not (info.data.get("identity_endpoint") or value.strip()):
            raise ValueError("AUTH_MODE=spaceone needs IDENTITY_ENDPOINT or IDENTITY_JWKS")
        return value

    @field_validator("tls_key_file")
    @classmethod
    def _key_with_certificate(cls, value: str, info: ValidationInfo) -> str:
        if bool(value) != bool(info.data.get("tls_cert_file")):
            raise ValueError("TLS_CERT_FILE and TLS_KEY_FILE are set together or not at all")
        return value

    @field_validator("tls_client_ca_file")
    @classmethod
    def _client_ca_with_certificate(cls, value: str, info: ValidationInfo) -> str:
        if value and not info.data.get("tls_cert_file"):
            raise ValueError("mutual TLS needs the server's own TLS_CERT_FILE and TLS_KEY_FILE")
        return value

    @field_validator("writer_grpc_port")
    @classmethod
    def _writer_port_of_its_own(cls, value: int, info: ValidationInfo) -> int:
        if info.data.get("tls_client_ca_file") and value and value == info.data.get("grpc_port"):
            raise ValueError("must differ from GRPC_PORT (the writer's mutual-TLS port)")
        return value
