"""Settings: one frozen object, read once from the environment and the command line; one field per setting."""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit


HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$")


class ConfigError(ValueError):
    """A setting has a value the server cannot run with."""


def _int(low: int, high: int | None = None) -> Callable[[str], int]:
    def cast(raw: str) -> int:
        # ASCII only: int() also takes "٣" and "1_000", which no one means as a setting.
        if not re.fullmatch(r"-?[0-9]+", raw.strip()):
            raise ValueError(f"expected an integer, got {raw!r}")
        value = int(raw)
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ValueError(f"must be {bound}, got {value}")
        return value

    return cast


def _power_of_two(low: int, high: int) -> Callable[[str], int]:
    within = _int(low, high)

    def cast(raw: str) -> int:
        value = within(raw)
        if value & (value - 1):
            raise ValueError(f"must be a power of two, got {value}")
        return value

    return cast


def _float(low: float) -> Callable[[str], float]:
    def cast(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"expected a number, got {raw!r}") from None
        if not math.isfinite(value):
            raise ValueError(f"expected a finite number, got {raw!r}")
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


def _switch(raw: str) -> bool:
    value = raw.strip().lower()
    if value not in ("1", "0", "true", "false", "on", "off", "yes", "no"):
        raise ValueError(f"must be on or off (1/0, true/false, yes/no), got {raw!r}")
    return value in ("1", "true", "on", "yes")


def _http_url(raw: str) -> tuple[str, Any]:
    url = raw.strip().rstrip("/")
    try:
        parts = urlsplit(url)
        _ = parts.port  # a port that is not a number raises here
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected http://host or https://host, got {raw.strip()!r}")
    return url, parts


def _base_url(raw: str) -> str:
    url, parts = _http_url(raw)
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"expected a URL without query, fragment or user, got {raw.strip()!r}")
    return url


def _origins(raw: str) -> tuple[str, ...]:
    origins = tuple(_http_url(o)[0] for o in raw.split(",") if o.strip())
    for origin in origins:
        parts = urlsplit(origin)
        if parts.path or parts.query or parts.fragment or parts.username:
            raise ValueError(f"an origin is scheme://host[:port] and nothing more, got {origin!r}")
    return origins


def _domain(raw: str) -> str:
    domain = raw.strip().lower().removeprefix("@")
    labels = domain.split(".")
    if not all(label and label.replace("-", "").isalnum() and label[0] != "-" != label[-1] for label in labels):
        raise ValueError(f"expected a domain such as club.example, got {raw.strip()!r}")
    return domain


def _addresses(raw: str) -> tuple[str, ...]:
    addresses = tuple(a.strip() for a in raw.split(",") if a.strip())
    for address in addresses:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise ValueError(f"expected IP addresses, got {address!r}") from None
    return addresses


def _hosts(raw: str) -> tuple[str, ...]:
    hosts = tuple(h.strip().lower() for h in raw.split(",") if h.strip())
    for host in hosts:
        if not HOST.match(host):
            raise ValueError(f"expected host or host:port values, got {host!r}")
    return hosts


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
        "CHAT_PUBLIC_URL", "", _base_url,
        "base URL of attachments, http:// or https:// and a host (e.g. https://chat.example.org);"
        " empty: from each request's checked Host")
    allowed_hosts: tuple[str, ...] = _setting(
        "CHAT_ALLOWED_HOSTS", (), _hosts,
        "comma-separated Host values (host or host:port) that attachment URLs may be built from when"
        " CHAT_PUBLIC_URL is empty; any other Host gets URLs on the address the connection arrived at")
    registration: str = _setting(
        "CHAT_REGISTRATION", "open", _choice("open", "closed"), "open: anyone may register; closed: only admins create users")
    email_domain: str = _setting(
        "CHAT_EMAIL_DOMAIN", "", _domain, "if set, only addresses at this domain (e.g. club.example) may register")
    cors_origins: tuple[str, ...] = _setting(
        "CHAT_CORS_ORIGINS", (), _origins,
        "comma-separated origins (scheme://host[:port]) allowed for CORS and WebSocket Origin")
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
        "CHAT_SCRYPT_N", 2**17, _power_of_two(2, 2**19),
        "scrypt cost for new password hashes: a power of two from 2 to 524288")
    max_body_bytes: int = _setting("CHAT_MAX_BODY_BYTES", MiB, _int(1024), "largest JSON request body")
    max_upload_bytes: int = _setting("CHAT_MAX_UPLOAD_BYTES", 10 * MiB, _int(1), "largest upload")
    upload_rate: float = _setting(
        "CHAT_UPLOAD_RATE", 20.0, _float(0), "uploads per minute per user, sustained (0: off)")
    upload_burst: int = _setting("CHAT_UPLOAD_BURST", 10, _int(1), "uploads one user may make at once")
    upload_quota_bytes: int = _setting(
        "CHAT_UPLOAD_QUOTA_BYTES", 1024 * MiB, _int(0), "bytes of attachments one user may have stored (0: no quota)")
    min_free_bytes: int = _setting(
        "CHAT_MIN_FREE_BYTES", 100 * MiB, _int(0),
        "free bytes the data disk keeps: uploads and sends that would go below are refused (507; 0: off)")
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
    refused_rate: float = _setting(
        "CHAT_REFUSED_RATE", 2.0, _float(0),
        "refused REST requests (any 4xx answer) per second per client address, sustained; past it and"
        " its burst, the address's requests are answered 429 unread and their connection closed (0: off)")
    refused_burst: int = _setting("CHAT_REFUSED_BURST", 100, _int(1), "burst allowance of that rate")
    typing_rate: float = _setting("CHAT_TYPING_RATE", 5.0, _float(0), "typing frames per second per socket (0: off)")
    max_sockets_per_user: int = _setting(
        "CHAT_MAX_SOCKETS_PER_USER", 20, _int(0), "open sockets one user may hold (0: no limit)")
    max_sockets_per_ip: int = _setting(
        "CHAT_MAX_SOCKETS_PER_IP", 0, _int(0), "open sockets one client address may hold (0: no limit)")
    max_connections_per_ip: int = _setting(
        "CHAT_MAX_CONNECTIONS_PER_IP", 256, _int(0),
        "open HTTP connections (sockets included) one client address may hold; more are answered 503"
        " and closed (0: no limit; CHAT_TRUSTED_PROXIES are exempt)")
    max_connections: int = _setting(
        "CHAT_MAX_CONNECTIONS", 0, _int(0),
        "open HTTP connections in all; more are answered 503 and closed, so that the database and media"
        " files always find a file descriptor (0: the process's file limit minus 64)")
    header_timeout: float = _setting(
        "CHAT_HEADER_TIMEOUT", 10.0, _float(0),
        "seconds a new connection has to send the headers of its first request (0: no limit)")
    keepalive_timeout: float = _setting(
        "CHAT_KEEPALIVE_TIMEOUT", 75.0, _float(0),
        "seconds an idle connection stays open between requests; also bounds the headers of a later request")
    body_timeout: float = _setting(
        "CHAT_BODY_TIMEOUT", 30.0, _float(0),
        "seconds a JSON request body may take to arrive whole; slower is answered 408 (0: no limit)")
    metrics_allow: tuple[str, ...] = _setting(
        "CHAT_METRICS_ALLOW", ("127.0.0.1", "::1"), _addresses,
        "client addresses served /metrics without a token; a request forwarded by a proxy not in"
        " CHAT_TRUSTED_PROXIES never counts as local")
    metrics_token: str = _setting(
        "CHAT_METRICS_TOKEN", "", _text, "if set, /metrics is also served to `Authorization: Bearer <this>` from any address")
    token_recheck: float = _setting(
        "CHAT_TOKEN_RECHECK", 30.0, _float(0),
        "seconds between checks of open sockets against the database: a token revoked by an admin"
        " command closes its sockets (4001), profile and membership changes made by other processes"
        " reach open sockets and user streams, within this time (0: off)")
    token_lifetime: float = _setting(
        "CHAT_TOKEN_LIFETIME", 0.0, _float(0),
        "seconds a token stays valid after it was issued; then it is refused (401) and its sockets close"
        " (4001) at the next CHAT_TOKEN_RECHECK (0: no limit)")
    token_idle: float = _setting(
        "CHAT_TOKEN_IDLE", 0.0, _float(0),
        "seconds a token stays valid unused (a request or an open socket uses it; its last use is recorded"
        " at most once a minute, so allow a minute more); then as CHAT_TOKEN_LIFETIME (0: no limit)")
    activity_interval: float = _setting(
        "CHAT_ACTIVITY_INTERVAL", 1.0, _float(0),
        "seconds between room_activity frames of one room on user streams; events between are told"
        " as one, the newest (0: every event)")
    login_rate: int = _setting(
        "CHAT_LOGIN_RATE", 10, _int(0),
        "failed logins per minute for one e-mail from one address; more are refused (429) to that address"
        " only, and past this many failures of an e-mail from all addresses together its wrong passwords"
        " are slowed (0: off)")
    login_address_rate: int = _setting(
        "CHAT_LOGIN_ADDRESS_RATE", 30, _int(0),
        "failed logins per minute from one address, all e-mails together; more are refused (429) (0: off)")
    login_concurrency: int = _setting(
        "CHAT_LOGIN_CONCURRENCY", 2, _int(0),
        "password checks in progress at once per e-mail and per address; more wait their turn (0: no limit)")
    login_slowdown: float = _setting(
        "CHAT_LOGIN_SLOWDOWN", 1.0, _float(0),
        "seconds a wrong password for a much-guessed e-mail (see CHAT_LOGIN_RATE) waits for its answer,"
        " holding that e-mail's turn; a right password from an address that has not failed goes first (0: off)")
    register_rate: int = _setting(
        "CHAT_REGISTER_RATE", 30, _int(0),
        "registrations per hour from one address, refused ones included; more are refused (429) (0: off)")
    hash_workers: int = _setting(
        "CHAT_HASH_WORKERS", 1, _int(1),
        "threads that hash new passwords (registration, password change); more wait their turn")
    login_workers: int = _setting(
        "CHAT_LOGIN_WORKERS", 2, _int(1),
        "threads that check passwords (login, current password), apart from those that hash new ones,"
        " so that a flood of registrations never holds up a login")
    db_readers: int = _setting(
        "CHAT_DB_READERS", 3, _int(1, 64),
        "reader connections: this many slow queries at once hold up no other read")
    write_batch: int = _setting("CHAT_WRITE_BATCH", 256, _int(1), "most changes committed in one transaction")
    room_list_rate: float = _setting(
        "CHAT_ROOM_LIST_RATE", 2.0, _float(0),
        "fetches of one's room list (with unread counts, the costliest read) per second per user, sustained;"
        " more are answered 429 (the web client fetches it at most once a second; 0: off)")
    room_list_burst: int = _setting("CHAT_ROOM_LIST_BURST", 10, _int(1), "burst allowance of that rate")
    max_rooms_per_user: int = _setting(
        "CHAT_MAX_ROOMS_PER_USER", 1000, _int(0),
        "rooms one user may be a member of (creating, joining, being added past it is refused; 0: no limit)")
    max_invites_per_room: int = _setting(
        "CHAT_MAX_INVITES_PER_ROOM", 100, _int(0),
        "live invites one room may have (neither expired, revoked nor used up); creating more is refused (0: no limit)")
    show_emails: bool = _setting(
        "CHAT_SHOW_EMAILS", False, _switch,
        "on: every signed-in user sees every user's e-mail; off: a user's e-mail is shown only to them and to"
        " site admins, everyone else gets null")
    max_mute_seconds: int = _setting(
        "CHAT_MAX_MUTE_SECONDS", 30 * 86400, _int(1),
        "longest `duration` a mute may be given, in seconds (30 days; a mute without one lasts until lifted)")
    max_pins: int = _setting(
        "CHAT_MAX_PINS", 3, _int(1), "pinned messages a room may hold at once (as the original app showed them)")
    history_limit: int = _setting("CHAT_HISTORY_LIMIT", 200, _int(1), "largest history page (limit=)")
    page_size_max: int = _setting("CHAT_PAGE_SIZE_MAX", 100, _int(1), "largest page_size of paged history")
    search_limit: int = _setting("CHAT_SEARCH_LIMIT", 100, _int(1), "most search hits in one response (limit=)")
    search_max_query: int = _setting(
        "CHAT_SEARCH_MAX_QUERY", 500, _int(1), "longest search query (q=, in characters); longer is answered 400")
    search_default_limit: int = _setting(
        "CHAT_SEARCH_DEFAULT_LIMIT", 20, _int(1), "search hits in one response when limit= is not given")
    search_relevance_window: int = _setting(
        "CHAT_SEARCH_RELEVANCE_WINDOW", 1000, _int(1),
        "order=relevance ranks the newest this many hits of a search (bounding its cost)")
    search_backfill_batch: int = _setting(
        "CHAT_SEARCH_BACKFILL_BATCH", 500, _int(1),
        "old messages indexed for search per transaction while the index of a migrated or restored file"
        " is built in the background (each such transaction delays the sends queued behind it, about"
        " 25 us per message)")

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
