"""Process settings, read once from PICHR_* environment variables at each entry point."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

# Set by `pichr serve` (1) and `pichr api` (0) for the API processes they start; not a setting.
EMBED_PROJECTIONS = "PICHR_EMBED_PROJECTIONS"

# name -> (default, help). The README's configuration table is generated from this.
DOCUMENTED: dict[str, tuple[str, str]] = {
    "PICHR_DATABASE_URL": (
        "",
        "PostgreSQL URL for events and read models; empty: embedded pgserver",
    ),
    "PICHR_DATA_DIR": ("./var", "Embedded PostgreSQL and filesystem blobs live here"),
    "PICHR_HOST": ("127.0.0.1", "Listen address of `pichr serve` / `pichr api`"),
    "PICHR_PORT": ("8787", "Listen port"),
    "PICHR_API_WORKERS": ("1", "API processes started by `pichr api`"),
    "PICHR_PUBLIC_BASE": ("", "Base URL of served images (`url`); default http://HOST:PORT"),
    "PICHR_CDN_BASE": ("", "Base URL of the CDN in front of the blob store (`cdnUrl`)"),
    "PICHR_WEB_BASE": ("", "Base URL of the web pages (album pages); default PUBLIC_BASE"),
    "PICHR_S3_ENDPOINT": ("", "S3 endpoint host:port (or URL); empty: filesystem blobs"),
    "PICHR_S3_BUCKET": ("pichr", "S3 bucket (created when missing)"),
    "PICHR_S3_ACCESS_KEY": ("", "S3 access key"),
    "PICHR_S3_SECRET_KEY": ("", "S3 secret key"),
    "PICHR_S3_REGION": ("us-east-1", "S3 region"),
    "PICHR_S3_SECURE": ("false", "Use HTTPS for S3 when the endpoint has no scheme"),
    "PICHR_DB_POOL_SIZE": ("5", "Connections per pool in each process (two pools per API process)"),
    "PICHR_READ_WAIT_MS": ("3000", "How long a command waits for read models to catch up"),
    "PICHR_TALLY_FLUSH_SECONDS": ("1.0", "How often served view/download counts are recorded"),
    "PICHR_KEY_USAGE_FLUSH_SECONDS": ("60", "How often API keys' last-used times are recorded"),
    "PICHR_MAX_UPLOAD_BYTES": ("524288000", "Largest upload accepted on any plan (bytes)"),
    "PICHR_PLANS": ("", 'JSON overrides of the plans, e.g. {"free": {"callsPerHour": 5000}}'),
    "PICHR_ANONYMOUS_EXPIRY_HOURS": ("720", "Anonymous uploads expire after this many hours"),
    "PICHR_RATE_LIMITS": ("true", "Enforce the plans' hourly call and upload limits"),
    "PICHR_REDIS_URL": ("", "Shared rate-limit store for several API processes; empty: in-process"),
    "PICHR_REDIS_PREFIX": ("pichr", "Prefix of the rate-limit keys (instances sharing one Redis)"),
    "PICHR_LIMITS_FAIL_CLOSED": ("false", "Refuse calls (503) when the limit store is down"),
    "PICHR_TRUSTED_PROXIES": ("", "Comma list of proxy IPs whose X-Forwarded-For is believed"),
    "PICHR_ABANDON_AFTER_HOURS": ("24", "Uploads not finalized this long are abandoned"),
    "PICHR_PURGE_GRACE_HOURS": ("24", "Blobs of deleted/expired files are purged after this"),
    "PICHR_CLEANUP_INTERVAL_SECONDS": ("600", "How often the worker runs the clean-up jobs"),
    "PICHR_LOG_LEVEL": ("INFO", "Log level (JSON logs on stderr)"),
    "PICHR_BROKER_URL": (
        "",
        "Job broker: amqp://... (RabbitMQ) or redis://...; empty: PostgreSQL (dramatiq-postgres)",
    ),
    "PICHR_JOB_NAMESPACE": ("pichr", "Prefix of the job queues' names (to share one broker)"),
    "PICHR_WORKER_THREADS": (
        "8",
        "Job worker threads in `pichr serve` / `pichr worker` (waiting ones cost little)",
    ),
    "PICHR_ANALYSIS_LANES": (
        "2",
        "Analysis batches run at once per worker process (the jobs waiting join one batch)",
    ),
    "PICHR_NSFW_THREADS": (
        "1",
        "Threads of one NSFW model run (0: one per core); lanes, not threads, use the cores best",
    ),
    "PICHR_JOB_MAX_RETRIES": (
        "8",
        "Retries of a failing job before it is dead (`pichr jobs failed`)",
    ),
    "PICHR_JOB_MIN_BACKOFF_MS": ("1000", "First retry delay of a failing job; doubles each time"),
    "PICHR_JOB_RECOVERY_SECONDS": (
        "30",
        "A dead worker's claimed jobs return to the queue after this",
    ),
    "PICHR_FINALIZE_WAIT_MS": (
        "5000",
        "How long finalize waits for the analysis before answering 202",
    ),
    "PICHR_NSFW_THRESHOLD": ("0.8", "nsfwScore at or above which a file is ageRestricted"),
    "PICHR_NSFW_MODEL": ("", "Path of another open_nsfw ONNX model; empty: the bundled one"),
    "PICHR_NSFW_MODEL_SHA256": (
        "",
        "Expected sha256 of PICHR_NSFW_MODEL (checked at load when set)",
    ),
    "PICHR_PHASH_MAX_DISTANCE": (
        "8",
        "Largest perceptual-hash distance of a duplicate or a blocklist match",
    ),
    "PICHR_REPORTS_PER_HOUR": ("10", "Moderation reports accepted per client IP per hour"),
    "PICHR_ALBUM_GUESSES_PER_HOUR": (
        "100",
        "Wrong album-password guesses per album per hour, from all clients together",
    ),
    "PICHR_VARIANTS_PER_FILE": (
        "24",
        "Distinct sizes/formats kept per file (`/i/{id}?w=`); a new one past it is refused (400)",
    ),
    "PICHR_VARIANT_RENDERS": (
        "2",
        "Variant renders at once per API process; past it a first request gets 503 + Retry-After",
    ),
    "PICHR_CORS_ORIGINS": (
        "",
        "Origins allowed to call the API from a browser: comma list, or *; empty: no CORS",
    ),
    "PICHR_URL_INGEST_TIMEOUT_SECONDS": (
        "20",
        "Time limit of fetching an image from a `url` field (the whole fetch)",
    ),
    "PICHR_URL_INGEST_ALLOW_PRIVATE": (
        "false",
        "Let `url` uploads fetch private/loopback/link-local addresses (tests only; SSRF)",
    ),
    "PICHR_CACHE_DIR": ("", "Local copies of hot S3 blobs, served by path; empty: DATA_DIR/cache"),
    "PICHR_CACHE_MAX_BYTES": ("1073741824", "Size cap of PICHR_CACHE_DIR (LRU); 0: no cache"),
    "PICHR_ACCEL_REDIRECT": (
        "",
        "nginx internal location prefix: image bytes go out by X-Accel-Redirect (docs/serving.md)",
    ),
    "PICHR_BENCH_ROUTES": ("false", "Mount /bench/constant/{bytes} (baseline for scripts/bench)"),
    "PICHR_METRICS": ("true", "Serve Prometheus metrics at /metrics (docs/deploy.md)"),
    "PICHR_METRICS_TOKEN": (
        "",
        "Bearer token /metrics requires; empty: /metrics answers loopback clients only",
    ),
    "PICHR_WORKER_METRICS_PORT": (
        "0",
        "Port on PICHR_HOST where `pichr worker` serves its own /metrics (analyses); 0: none",
    ),
}


# Names the test suite and the benches read (never a setting of a server).
INTERNAL_PREFIXES = tuple(f"PICHR_{area}_" for area in ("TEST", "FUZZ", "BENCH"))


class SettingsError(ValueError):
    """A PICHR_* variable whose value cannot be what it configures."""

    def __init__(self, name: str, raw: str, expected: str) -> None:
        super().__init__(f"{name}={raw!r} is not valid: expected {expected}")
        self.name, self.raw, self.expected = name, raw, expected


def _default(name: str) -> str:
    """The documented default: thresholds are written once, here (the fields below read it)."""
    return DOCUMENTED[name][0]


def _env(name: str) -> str:
    return os.environ.get(name, _default(name))


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    data_dir: Path = Path("./var")
    host: str = "127.0.0.1"
    port: int = 8787
    api_workers: int = 1
    public_base: str = ""
    cdn_base: str = ""
    web_base: str = ""
    s3_endpoint: str = ""
    s3_bucket: str = "pichr"
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_region: str = "us-east-1"
    s3_secure: bool = False
    db_pool_size: int = 5
    read_wait_ms: int = 3000
    tally_flush_seconds: float = 1.0
    key_usage_flush_seconds: float = 60.0
    max_upload_bytes: int = 500 * 1024 * 1024
    plans: str = ""
    anonymous_expiry_hours: int = 720
    rate_limits: bool = True
    redis_url: str = ""
    redis_prefix: str = "pichr"
    limits_fail_closed: bool = False
    trusted_proxies: str = ""
    abandon_after_hours: int = 24
    purge_grace_hours: int = 24
    cleanup_interval_seconds: float = 600.0
    log_level: str = "INFO"
    broker_url: str = ""
    job_namespace: str = "pichr"
    worker_threads: int = 8
    analysis_lanes: int = 2
    job_max_retries: int = 8
    job_min_backoff_ms: int = 1000
    job_recovery_seconds: float = 30.0
    finalize_wait_ms: int = 5000
    nsfw_threshold: float = float(_default("PICHR_NSFW_THRESHOLD"))
    nsfw_model: str = ""
    nsfw_model_sha256: str = ""
    nsfw_threads: int = 1
    phash_max_distance: int = int(_default("PICHR_PHASH_MAX_DISTANCE"))
    reports_per_hour: int = 10
    album_guesses_per_hour: int = 100
    variants_per_file: int = 24
    variant_renders: int = 2
    cors_origins: str = ""
    url_ingest_timeout_seconds: float = 20.0
    url_ingest_allow_private: bool = False
    cache_dir: str = ""
    cache_max_bytes: int = int(_default("PICHR_CACHE_MAX_BYTES"))
    accel_redirect: str = ""
    bench_routes: bool = False
    metrics: bool = True
    metrics_token: str = ""
    worker_metrics_port: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Every documented field from its variable; SettingsError names the first bad one."""
        values: dict[str, object] = {}
        for f in fields(cls):
            name = "PICHR_" + f.name.upper()
            if name not in DOCUMENTED:
                continue
            values[f.name] = _convert(f.type, _env(name), name)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    @classmethod
    def known_names(cls) -> frozenset[str]:
        """The variables a setting reads: derived from the fields, so new settings are known."""
        return frozenset("PICHR_" + f.name.upper() for f in fields(cls)) | {EMBED_PROJECTIONS}

    @classmethod
    def unknown_names(cls, environ: Mapping[str, str] = os.environ) -> dict[str, str | None]:
        """PICHR_* variables no setting reads (a misspelling?), each with the nearest known name."""
        known = sorted(cls.known_names() & set(DOCUMENTED))
        unknown = (
            n
            for n in environ
            if n.startswith("PICHR_")
            and n not in cls.known_names()
            and not n.startswith(INTERNAL_PREFIXES)
        )
        return {n: next(iter(difflib.get_close_matches(n, known, 1)), None) for n in unknown}

    @property
    def base_url(self) -> str:
        return (self.public_base or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def blob_cache_dir(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else self.data_dir / "cache"

    @property
    def cdn_url(self) -> str:
        return (self.cdn_base or self.base_url).rstrip("/")


TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
PORTS = ("PICHR_PORT",)


def _convert(kind: object, raw: str, name: str) -> object:
    text = raw.strip()
    if kind in ("int", int):
        return _integer(text, raw, name)
    if kind in ("float", float):
        try:
            return float(text)
        except ValueError:
            raise SettingsError(name, raw, "a number (e.g. 1.5)") from None
    if kind in ("bool", bool):
        if text.lower() not in TRUE + FALSE:
            raise SettingsError(name, raw, "true or false (also 1/0, yes/no, on/off)")
        return text.lower() in TRUE
    if kind in ("Path", Path):
        return Path(raw)
    return raw


def _integer(text: str, raw: str, name: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise SettingsError(name, raw, "a whole number (e.g. 8)") from None
    if name in PORTS and not 1 <= value <= 65535:
        raise SettingsError(name, raw, "a TCP port, 1 to 65535")
    if value < 0:
        raise SettingsError(name, raw, "a whole number, 0 or more")
    return value
