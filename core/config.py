"""``missionbase.toml`` plus ``MISSIONBASE_*`` environment overrides.

Kept free of heavy imports: the CLI reads it before deciding whether the
database or the plugins are needed at all.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import ValidationError as PydanticValidationError

from .errors import ConfigError, UnknownName

CONFIG_FILE = "missionbase.toml"
ENV_DATABASE_URL = "MISSIONBASE_DATABASE_URL"
ENV_PLUGINS = "MISSIONBASE_PLUGINS"
ENV_USER = "MISSIONBASE_USER"


# Documents, images and data a nonprofit exchanges; not HTML, scripts or executables,
# which a browser or a colleague could be tricked into running.
UPLOAD_CONTENT_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/heic",
    "text/plain",
    "text/csv",
    "application/json",
    "application/x-ndjson",
    "application/rtf",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.*",
    "application/vnd.oasis.opendocument.*",
    "application/zip",
    "audio/mpeg",
    "audio/mp4",
    "video/mp4",
)


class Settings(BaseModel):
    """What an org is configured with. Unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")

    database_url: str = "sqlite:///missionbase.db"
    plugins: list[str] = []
    # Where File bytes live (never in a table); relative to the config file.
    files_dir: str = "files"
    # The largest upload the API takes (a File's bytes, an import file), in bytes.
    upload_max_bytes: int = 100 * 1024 * 1024
    # Content types an API upload may have ("type/*" allows a family). The bytes are also
    # sniffed: a file whose bytes are of another kind than it claims is refused.
    upload_content_types: list[str] = list(UPLOAD_CONTENT_TYPES)
    # The user CLI commands run as when --as is not given.
    default_user: str = "admin"
    # The org's IANA time zone: users without one of their own live in it.
    time_zone: str = "UTC"
    # The org's locale (``fr``, ``en_US``): how imports read dates, numbers and yes/no words
    # beside the ISO forms.
    locale: str = "en"
    # Rows per transaction in imports.
    import_batch_size: int = 1000
    recycle_bin_days: int = 15
    # Outgoing email (core.mail): an SMTP relay. No smtp_host means email is off.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    # "starttls" upgrades a plain connection; "ssl" connects with TLS (port 465); "none" sends in clear.
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    mail_from: str = "missionbase@localhost"

    # How hard a password hash is to compute (argon2id): RFC 9106's low-memory profile.
    # "cheapest_for_tests" makes a login cost microseconds; only test suites should use it.
    password_hash_profile: Literal["rfc9106_low_memory", "cheapest_for_tests"] = "rfc9106_low_memory"

    # Not part of the file: where it was read from.
    config_path: Path | None = None

    @field_validator("time_zone")
    @classmethod
    def _real_time_zone(cls, value: str) -> str:
        from .localtime import check_zone_name

        return check_zone_name(value)

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        from .localeformats import check_locale

        return check_locale(value)


def find_config(explicit: str | os.PathLike | None = None) -> Path | None:
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
        return path
    candidate = Path.cwd() / CONFIG_FILE
    return candidate if candidate.is_file() else None


def load_settings(explicit: str | os.PathLike | None = None, *, require_file: bool = False) -> Settings:
    path = find_config(explicit)
    data: dict = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    elif require_file and not os.environ.get(ENV_DATABASE_URL):
        raise ConfigError(
            f"no {CONFIG_FILE} in {Path.cwd()}; run 'missionbase init' (or 'missionbase demo'), "
            f"pass --config, or set {ENV_DATABASE_URL}"
        )
    if os.environ.get(ENV_DATABASE_URL):
        data["database_url"] = os.environ[ENV_DATABASE_URL]
    if os.environ.get(ENV_PLUGINS) is not None:
        data["plugins"] = [p.strip() for p in os.environ[ENV_PLUGINS].split(",") if p.strip()]
    settings = settings_from_dict(data, source=str(path or "environment"))
    settings.config_path = path.resolve() if path else None
    return settings.model_copy(update={"database_url": _anchor_sqlite(settings.database_url, path)})


def settings_from_dict(data: dict, source: str = "settings") -> Settings:
    try:
        return Settings.model_validate(data)
    except PydanticValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            valid = [k for k in Settings.model_fields if k != "config_path"]
            raise ConfigError(f"{source}: {UnknownName('key', key, valid)}") from None
        message = err["msg"].removeprefix("Value error, ")
        if repr(err.get("input")) not in message:
            message += f" (got {err.get('input')!r})"
        raise ConfigError(f"{source}: key {key!r}: {message}") from None


def _anchor_sqlite(url: str, config_path: Path | None) -> str:
    """A relative SQLite path is relative to the config file, not to wherever the CLI runs."""
    prefix = "sqlite:///"
    if config_path is None or not url.startswith(prefix):
        return url
    rest = url[len(prefix) :]
    if not rest or rest.startswith("/") or rest.startswith(":memory:"):
        return url
    return prefix + str((config_path.parent / rest).resolve())


def files_dir(settings: Settings) -> Path:
    base = settings.config_path.parent if settings.config_path else Path.cwd()
    return (base / settings.files_dir).resolve()


def write_config(path: Path, values: dict) -> None:
    """Write a new config file (used by ``init``)."""
    import tomlkit

    doc = tomlkit.document()
    doc.add(tomlkit.comment("missionbase org configuration; see README.md"))
    for key, value in values.items():
        doc[key] = value
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")


def update_config(path: Path, key: str, value) -> None:
    """Change one key, keeping the user's comments and layout (tomlkit round-trips them)."""
    import tomlkit

    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    doc[key] = value
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
