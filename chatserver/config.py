"""Settings: one frozen object, read once from the environment and the command line."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping


class ConfigError(ValueError):
    """A setting has a value the server cannot run with."""


def _int(low: int, high: int | None = None) -> Callable[[str], int]:
    def cast(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"expected an integer, got {raw!r}") from None
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ValueError(f"must be {bound}, got {value}")
        return value

    return cast


def _float(low: float) -> Callable[[str], float]:
    def cast(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"expected a number, got {raw!r}") from None
        if value < low:
            raise ValueError(f"must be at least {low}, got {value}")
        return value

    return cast


def _choice(*options: str) -> Callable[[str], str]:
    def cast(raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise ValueError(f"must be one of {', '.join(options)}, got {raw!r}")
        return value

    return cast


def _origins(raw: str) -> tuple[str, ...]:
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in origins:
        if not origin.startswith(("http://", "https://")):
            raise ValueError(f"origins start with http:// or https://, got {origin!r}")
    return origins


def _addresses(raw: str) -> tuple[str, ...]:
    addresses = tuple(a.strip() for a in raw.split(",") if a.strip())
    for address in addresses:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise ValueError(f"expected IP addresses, got {address!r}") from None
    return addresses


def _text(raw: str) -> str:
    return raw.strip()


def _setting(env: str, default: Any, cast: Callable[[str], Any], doc: str) -> Any:
    return field(default=default, metadata={"env": env, "cast": cast, "doc": doc})


MiB = 1024 * 1024


@dataclass(frozen=True)
class Config:
    """Every setting of the server; the environment variable and meaning sit beside each."""

    host: str = _setting("CHAT_HOST", "127.0.0.1", _text, "address to listen on")
    port: int = _setting("CHAT_PORT", 8080, _int(0, 65535), "TCP port (0 picks a free one)")
    db: str = _setting("CHAT_DB", "./chat.db", _text, "path of the SQLite database file")
    media_dir: str = _setting("CHAT_MEDIA_DIR", "./media", _text, "folder for uploaded files")
    public_url: str = _setting(
        "CHAT_PUBLIC_URL", "", _text,
        "base URL of attachments (e.g. https://chat.example.org); empty: taken from each request")
    registration: str = _setting(
        "CHAT_REGISTRATION", "open", _choice("open", "closed"), "open: anyone may register; closed: only admins create users")
    email_domain: str = _setting(
        "CHAT_EMAIL_DOMAIN", "", _text, "if set, only addresses at this domain may register")
    cors_origins: tuple[str, ...] = _setting(
        "CHAT_CORS_ORIGINS", (), _origins, "comma-separated origins allowed for CORS and WebSocket Origin")
    trusted_proxies: tuple[str, ...] = _setting(
        "CHAT_TRUSTED_PROXIES", (), _addresses,
        "addresses of reverse proxies whose X-Forwarded-For names the client (for per-address limits)")
    log_level: str = _setting(
        "CHAT_LOG_LEVEL", "info", _choice("debug", "info", "warning", "error"), "log level")
    log_format: str = _setting("CHAT_LOG_FORMAT", "text", _choice("text", "json"), "text or json lines")
    synchronous: str = _setting(
        "CHAT_SYNCHRONOUS", "normal", _choice("normal", "full"),
        "SQLite synchronous mode: normal survives a crash, full also a power loss")
    busy_timeout: float = _setting(
        "CHAT_BUSY_TIMEOUT", 5.0, _float(0),
        "seconds a write waits for the database while another process holds it locked; then the"
        " changes waiting are refused (`unavailable`) and /healthz answers 503 until writes work again")
    scrypt_n: int = _setting(
        "CHAT_SCRYPT_N", 2**17, _int(2, 2**20), "scrypt cost for new password hashes (power of two)")
    max_body_bytes: int = _setting("CHAT_MAX_BODY_BYTES", MiB, _int(1024), "largest JSON request body")
    max_upload_bytes: int = _setting("CHAT_MAX_UPLOAD_BYTES", 10 * MiB, _int(1), "largest upload")
    max_frame_bytes: int = _setting(
        "CHAT_MAX_FRAME_BYTES", 64 * 1024, _int(1024), "largest WebSocket frame (bigger closes with 1009)")
    max_message_length: int = _setting(
        "CHAT_MAX_MESSAGE_LENGTH", 4000, _int(1), "most characters in a message after trimming")
    max_mentions: int = _setting("CHAT_MAX_MENTIONS", 50, _int(0), "most mentions in one message")
    max_json_depth: int = _setting("CHAT_MAX_JSON_DEPTH", 32, _int(2), "deepest JSON nesting accepted")
    heartbeat: float = _setting(
        "CHAT_HEARTBEAT", 30.0, _float(1.0), "seconds between pings; a peer silent for 1.5x this is dropped")
    send_buffer_bytes: int = _setting(
        "CHAT_SEND_BUFFER_BYTES", MiB, _int(1024), "unsent bytes a socket may hold before it is closed (4008)")
    rate_limit: float = _setting(
        "CHAT_RATE_LIMIT", 10.0, _float(0),
        "stored actions (messages, edits, deletions, reactions, uploads) per second, per socket and per"
        " user across all their sockets and uploads (0: off)")
    rate_burst: int = _setting("CHAT_RATE_BURST", 20, _int(1), "burst allowance of that rate")
    error_rate: float = _setting(
        "CHAT_ERROR_RATE", 10.0, _float(0),
        "error frames per second one socket is sent after a burst; refused frames past it get none (0: off)")
    error_burst: int = _setting("CHAT_ERROR_BURST", 50, _int(1), "burst allowance of that rate")
    error_close: int = _setting(
        "CHAT_ERROR_CLOSE", 100, _int(1),
        "refused frames past the error rate (refilled at that rate) after which the socket is closed (4029)")
    typing_rate: float = _setting("CHAT_TYPING_RATE", 5.0, _float(0), "typing frames per second per socket (0: off)")
    max_sockets_per_user: int = _setting(
        "CHAT_MAX_SOCKETS_PER_USER", 20, _int(0), "open sockets one user may hold (0: no limit)")
    max_sockets_per_ip: int = _setting(
        "CHAT_MAX_SOCKETS_PER_IP", 0, _int(0), "open sockets one client address may hold (0: no limit)")
    token_recheck: float = _setting(
        "CHAT_TOKEN_RECHECK", 30.0, _float(0),
        "seconds between checks of open sockets against the database: a token revoked by an admin"
        " command closes its sockets (4001), profile and membership changes made by other processes"
        " reach open sockets and user streams, within this time (0: off)")
    activity_interval: float = _setting(
        "CHAT_ACTIVITY_INTERVAL", 1.0, _float(0),
        "seconds between room_activity frames of one room on user streams; events between are told"
        " as one, the newest (0: every event)")
    login_rate: int = _setting(
        "CHAT_LOGIN_RATE", 10, _int(0), "failed logins per minute per e-mail and per address (0: off)")
    write_batch: int = _setting("CHAT_WRITE_BATCH", 256, _int(1), "most changes committed in one transaction")
    history_limit: int = _setting("CHAT_HISTORY_LIMIT", 200, _int(1), "largest history page (limit=)")
    page_size_max: int = _setting("CHAT_PAGE_SIZE_MAX", 100, _int(1), "largest page_size of paged history")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "Config":
        """Read every CHAT_* variable, then apply explicit overrides (e.g. command-line flags)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(f.metadata["env"])
            if raw is not None and raw != "":
                try:
                    values[f.name] = f.metadata["cast"](raw)
                except ValueError as exc:
                    raise ConfigError(f"{f.metadata['env']}: {exc}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def replace(self, **changes: Any) -> "Config":
        """A copy with some settings changed."""
        return dataclasses.replace(self, **changes)


def settings_table() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) of every setting, for documentation."""
    rows = []
    for f in dataclasses.fields(Config):
        default = ",".join(f.default) if isinstance(f.default, tuple) else str(f.default)
        rows.append((f.metadata["env"], default, f.metadata["doc"]))
    return rows
