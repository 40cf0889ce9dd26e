"""Configuration: defaults, then the environment, then explicit overrides (what tests pass)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

# The environment names the README documents; no other module reads os.environ.
ENV_KEYS = (
    "ENABLE_DATA_DIR",
    "DATABASE_URL",
    "QUEUE_URL",
    "TRANSCRIPTS_DIR",
    "WHISPER_MODEL",
    "WHISPER_DEVICE",
    "WHISPER_COMPUTE_TYPE",
    "EMBEDDING_MODEL",
    "TRANSCRIPTION_QUALITY",
    "TRANSCRIPTION_LANGUAGES",
    "MAX_UPLOAD_MB",
    "MAX_CALL_MINUTES",
    "SECRET_KEY",
    "SEARCH_BACKEND",
    "REP_CHANNEL",
    "SPEAKER_MODEL",
    "SESSION_COOKIE_SECURE",
    "WORKER_NICE",
    "API_RATE_LIMIT",
    "API_RATE_LIMIT_STORAGE",
    "API_AUTH_FAILURE_LIMIT",
    "WEBHOOK_ALLOW_PRIVATE",
    "TRUSTED_PROXIES",
    "REMEMBER_DAYS",
    "LOGIN_ADDRESS_MAX_FAILURES",
    "LINKCHECK_ALLOW_PRIVATE",
    "REPORT_MAX_DAYS",
    "RESTORE_MAX_MB",
    "SITE_URL",
    "MAIL_BACKEND",
    "MAIL_HOST",
    "MAIL_PORT",
    "MAIL_SECURITY",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_FROM",
    "MAIL_CA_FILE",
    "MAIL_DIR",
    "MAIL_DIGEST_HOUR",
    "DROP_DIRS",
    "DROP_STABLE_S",
    "DROP_REP_PATTERN",
    "ZOOM_WEBHOOK_SECRET_TOKEN",
    "RECORDING_WEBHOOK_SECRET",
)


class Config:
    """Defaults for every setting; each line says what it controls."""

    ENABLE_DATA_DIR: str = "instance"  # SQLite file, search index, uploads, queue, model cache
    DATABASE_URL: str | None = None  # SQLAlchemy URL; default sqlite:///<data>/enable.db
    QUEUE_URL: str | None = None  # redis://host:6379/0 for Redis; default Huey SQLite in the data folder
    TRANSCRIPTS_DIR: str = "transcripts"  # the transcript store: <call id>.json + .vtt; samples/ ships with Enable
    WHISPER_MODEL: str = "auto"  # auto (language identified per call: English to tiny.en, others to base), or one
    # model for every call: tiny.en (bundled), base (multilingual extra), any faster-whisper name or folder
    TRANSCRIPTION_QUALITY: str = "fast"  # auto routing: fast (English by tiny.en) or accurate (English by base too)
    TRANSCRIPTION_LANGUAGES: str = "en,ru"  # languages the models handle well; others are marked and not tagged
    WHISPER_DEVICE: str = "cpu"  # cpu or cuda
    WHISPER_COMPUTE_TYPE: str = "int8"  # CTranslate2 compute type (int8, float16 on GPUs, ...)
    EMBEDDING_MODEL: str = "e5-small-q4"  # trackers' sentence model: e5-small-q4, use-multilingual-v3 or off
    MAX_UPLOAD_MB: int = 500  # largest accepted upload, in megabytes
    MAX_CALL_MINUTES: int = 240  # longest accepted recording, in minutes
    RESTORE_MAX_MB: int = 204800  # most a restore may extract (files, database, table rows), in megabytes
    REPORT_MAX_DAYS: int = 1830  # longest date range a report (page, CSV or API) covers, in days (about 5 years)
    CONTENT_DIR: str = "content"  # starter content loaded by `flask content load`
    SEARCH_BACKEND: str = "whoosh"  # whoosh (embedded) or postgres
    REP_CHANNEL: int = 0  # in two-channel recordings, the channel (0 left, 1 right) that carries the rep
    SPEAKER_MODEL: str = "campplus"  # tells voices apart on one-channel calls: campplus (bundled), an .onnx, or none
    BITE_TARGET_S: float = 120.0  # bite length aimed for, in seconds
    BITE_MIN_S: float = 45.0  # shortest bite, in seconds (unless the call is shorter)
    BITE_MAX_S: float = 150.0  # longest bite, in seconds (unless one sentence is longer)
    REVIEW_DAYS_PLAYBOOK: int = 90  # default review interval of a playbook, in days (each playbook may override it)
    REVIEW_DAYS_ASSET: int = 90  # default review interval of an asset, in days (each asset may override it)
    REVIEW_DAYS_BITE: int = 180  # default review interval of a bite, in days (each bite may override it)
    LANGUAGES: tuple[str, ...] = ("en", "ru")  # interface languages
    JOBS_IMMEDIATE: bool = False  # run background jobs inline (tests)
    WORKER_NICE: int = 19  # how much lower the CPU priority of transcription jobs is than web requests' (0: same;
    # 20: SCHED_IDLE, the CPU only when nothing else wants it)
    LOGIN_MAX_FAILURES: int = 5  # failed logins before an account is throttled
    LOGIN_LOCK_MINUTES: int = 15  # how long a throttled account waits, in minutes
    LOGIN_ADDRESS_MAX_FAILURES: int = 30  # failed logins from one client address (any accounts) within
    # LOGIN_LOCK_MINUTES before that address is refused until the window ends
    TRUSTED_PROXIES: int = 0  # reverse proxies in front of the site whose X-Forwarded-For/-Proto are believed (hops)
    REMEMBER_DAYS: int = 30  # how long "remember me" keeps a browser signed in, in days
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    SESSION_COOKIE_SECURE: bool = False  # set true behind HTTPS
    PERMANENT_SESSION_LIFETIME: int = 60 * 60 * 12  # seconds
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT: int | None = None  # tokens live as long as the session
    BABEL_DEFAULT_LOCALE: str = "en"
    BABEL_DEFAULT_TIMEZONE: str = "UTC"
    API_RATE_LIMIT: str = "300/minute"  # requests per API token, e.g. 300/minute or 10/second (a moving window)
    API_RATE_LIMIT_STORAGE: str | None = None  # where requests are counted: redis://... (shared by every web worker),
    # memory:// (this process); default Redis when QUEUE_URL is a redis:// URL, else memory
    API_AUTH_FAILURE_LIMIT: str = "60/minute"  # API answers 401 (missing/unknown token) per client address; past it 429
    WEBHOOK_TIMEOUT_S: float = 10.0  # seconds a webhook receiver has to connect and answer each attempt
    WEBHOOK_MAX_ATTEMPTS: int = 5  # attempts of a webhook delivery before it is marked failed
    WEBHOOK_RETRY_BASE_S: float = 30.0  # pause after the first failed attempt; each next pause is 4x longer
    WEBHOOK_ALLOW_PRIVATE: bool = False  # let webhooks go to loopback/private/link-local addresses (trusted networks)
    LINKCHECK_ALLOW_PRIVATE: bool = False  # let the link checker fetch links to loopback/private/link-local addresses
    SITE_URL: str = ""  # the site's external address for links in mails, e.g. https://enable.example.com
    MAIL_BACKEND: str = ""  # smtp, folder (.eml files in MAIL_DIR) or log; default: smtp with MAIL_HOST, else folder
    MAIL_HOST: str | None = None  # the SMTP server's host name
    MAIL_PORT: int = 0  # its port; 0: 587 with starttls, 465 with tls, 25 with none
    MAIL_SECURITY: str = "starttls"  # starttls, tls (implicit TLS) or none
    MAIL_USERNAME: str | None = None  # SMTP login (optional)
    MAIL_PASSWORD: str | None = None  # its password
    MAIL_FROM: str = "Enable <enable@localhost>"  # the From of every mail
    MAIL_CA_FILE: str | None = None  # a CA bundle trusted besides the system's, for an internal mail server
    MAIL_DIR: str | None = None  # where the folder backend writes mails; default <data>/mail
    MAIL_TIMEOUT_S: float = 30.0  # seconds the SMTP server has to answer each step
    MAIL_MAX_ATTEMPTS: int = 6  # attempts of a mail before it is marked failed
    MAIL_RETRY_BASE_S: float = 60.0  # pause after the first failed attempt; each next pause is 4x longer
    MAIL_DIGEST_HOUR: int = 7  # the hour (UTC) from which each day's digest mails go out
    DROP_DIRS: str = ""  # folders the worker watches for recordings, separated by commas (empty: none)
    DROP_STABLE_S: float = 30.0  # a dropped file is complete once its size is unchanged this long (or <name>.done)
    DROP_REP_PATTERN: str = ""  # regex on a dropped file's name whose group "email" names the rep (no metadata)
    ZOOM_WEBHOOK_SECRET_TOKEN: str = ""  # the Zoom app's secret token; set it to accept recording.completed events
    RECORDING_WEBHOOK_SECRET: str = ""  # secret of the generic signed "recording ready" webhook (empty: off)


def _coerce(value: str, default: Any) -> Any:
    """Convert an environment string to the type of the default."""
    if isinstance(default, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    return value


def load_config(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Return the settings: Config defaults, then the environment, then overrides; derive paths."""
    env = os.environ if environ is None else environ
    cfg: dict[str, Any] = {k: getattr(Config, k) for k in dir(Config) if k.isupper()}
    for key in ENV_KEYS:
        if env.get(key):
            cfg[key] = _coerce(env[key], cfg.get(key)) if cfg.get(key) is not None else env[key]
    cfg.update(overrides or {})

    data_dir = Path(cfg["ENABLE_DATA_DIR"]).resolve()
    cfg["ENABLE_DATA_DIR"] = data_dir
    cfg.setdefault("MEDIA_DIR", data_dir / "media")
    cfg.setdefault("INDEX_DIR", data_dir / "index")
    cfg.setdefault("VECTOR_INDEX_DIR", Path(cfg["INDEX_DIR"]).parent / "vector-index")
    cfg.setdefault("MODEL_CACHE_DIR", data_dir / "models")
    cfg.setdefault("QUEUE_PATH", data_dir / "queue.db")
    cfg["TRANSCRIPTS_DIR"] = Path(cfg["TRANSCRIPTS_DIR"]).resolve()
    for key in ("MEDIA_DIR", "INDEX_DIR", "VECTOR_INDEX_DIR", "MODEL_CACHE_DIR", "QUEUE_PATH", "CONTENT_DIR"):
        cfg[key] = Path(cfg[key]).resolve()
    if "SQLALCHEMY_DATABASE_URI" not in cfg:
        cfg["SQLALCHEMY_DATABASE_URI"] = cfg["DATABASE_URL"] or f"sqlite:///{data_dir / 'enable.db'}"
    # The remember-me cookie carries the same flags as the session cookie, and lives REMEMBER_DAYS.
    for flag in ("SECURE", "HTTPONLY", "SAMESITE"):
        cfg.setdefault(f"REMEMBER_COOKIE_{flag}", cfg[f"SESSION_COOKIE_{flag}"])
    cfg.setdefault("REMEMBER_COOKIE_DURATION", timedelta(days=int(cfg["REMEMBER_DAYS"])))
    cfg["MAIL_DIR"] = Path(cfg["MAIL_DIR"]).resolve() if cfg.get("MAIL_DIR") else data_dir / "mail"
    cfg["MAX_CONTENT_LENGTH"] = int(cfg["MAX_UPLOAD_MB"]) * 1024 * 1024
    cfg["TRANSCRIPTION_QUALITY"] = str(cfg["TRANSCRIPTION_QUALITY"]).strip().lower()
    if cfg["TRANSCRIPTION_QUALITY"] not in ("fast", "accurate"):
        raise ValueError(f"TRANSCRIPTION_QUALITY must be fast or accurate, not {cfg['TRANSCRIPTION_QUALITY']!r}")
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = _stored_secret(data_dir)
    return cfg


def _stored_secret(data_dir: Path) -> str:
    """Read the secret key kept in the data folder, generating it once (mode 0600)."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process (a second web worker) won the race
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
