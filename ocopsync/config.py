"""Reading ``ocopsync.toml``: connections, their credentials and policies.

Credentials are written as ``${ENV_VAR}`` references so the file can be shared or
committed; the values are resolved from the environment when a connection is used,
and a missing variable is a :class:`ConfigError` that names it (never its value).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocopsync.errors import ConfigError
from ocopsync.policy import Policy

DEFAULT_CONFIG_NAME = "ocopsync.toml"
DEFAULT_DATABASE_URL = "sqlite:///ocopsync.db"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class ConnectionSettings:
    """One shop of one entity (or of the whole province) on one platform."""

    name: str
    platform: str
    base_url: str
    entity: str = "*"
    credentials: Mapping[str, str] = field(default_factory=dict)
    """Raw values as written in the file, ``${VAR}`` references unresolved."""
    policy: Policy = field(default_factory=Policy)
    options: Mapping[str, Any] = field(default_factory=dict)
    """Platform-specific settings (category map, logistics channel, auth host...)."""
    enabled: bool = True

    def covers(self, entity_code: str) -> bool:
        return self.entity == "*" or self.entity == entity_code

    def resolved_credentials(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """Credentials with every ``${VAR}`` replaced from the environment."""
        env = os.environ if environ is None else environ
        resolved: dict[str, str] = {}
        for key, raw in self.credentials.items():
            resolved[key] = _expand(str(raw), env, f"connection {self.name!r} credential {key!r}")
        return resolved


@dataclass(frozen=True)
class Settings:
    """Everything ``ocopsync.toml`` says, after validation."""

    database_url: str = DEFAULT_DATABASE_URL
    connections: tuple[ConnectionSettings, ...] = ()
    schedule_cron: str = "30 2 * * *"
    schedule_timezone: str = "Asia/Ho_Chi_Minh"
    source: Path | None = None

    def connection(self, name: str) -> ConnectionSettings:
        for conn in self.connections:
            if conn.name == name:
                return conn
        known = ", ".join(c.name for c in self.connections) or "none configured"
        raise ConfigError(f"no connection named {name!r} (known: {known})")

    def select(
        self, *, platform: str | None = None, connection: str | None = None
    ) -> list[ConnectionSettings]:
        chosen = [c for c in self.connections if c.enabled]
        if platform:
            chosen = [c for c in chosen if c.platform == platform]
        if connection:
            chosen = [c for c in chosen if c.name == connection]
        return chosen


def _expand(raw: str, env: Mapping[str, str], where: str) -> str:
    def replace(match: re.Match[str]) -> str:
        var = match.group(1)
        if var not in env:
            raise ConfigError(f"{where} needs environment variable {var}, which is not set")
        return env[var]

    return _ENV_REF.sub(replace, raw)


def find_config_path(explicit: str | Path | None = None) -> Path | None:
    """The config file to read: ``--config``, then ``OCOPSYNC_CONFIG``, then ./ocopsync.toml."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
        return path
    env_path = os.environ.get("OCOPSYNC_CONFIG")
    if env_path:
        path = Path(env_path)
        if not path.is_file():
            raise ConfigError(f"OCOPSYNC_CONFIG points to {path}, which does not exist")
        return path
    default = Path(DEFAULT_CONFIG_NAME)
    return default if default.is_file() else None


def load_settings(explicit: str | Path | None = None) -> Settings:
    """Read and validate the config; with no file, defaults and no connections."""
    path = find_config_path(explicit)
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not UTF-8 text") from exc
    return parse_settings(data, source=path)


def parse_settings(data: Mapping[str, Any], source: Path | None = None) -> Settings:
    where = str(source) if source else "config"
    db = data.get("database", {})
    if not isinstance(db, Mapping):
        raise ConfigError(f"{where}: [database] must be a table")
    database_url = os.environ.get("OCOPSYNC_DATABASE_URL") or str(
        db.get("url", DEFAULT_DATABASE_URL)
    )
    sched = data.get("schedule", {})
    if not isinstance(sched, Mapping):
        raise ConfigError(f"{where}: [schedule] must be a table")
    raw_conns = data.get("connections", [])
    if not isinstance(raw_conns, list):
        raise ConfigError(f"{where}: connections must be an array of tables ([[connections]])")
    connections = tuple(_parse_connection(raw, i, where) for i, raw in enumerate(raw_conns, 1))
    seen: set[str] = set()
    for conn in connections:
        if conn.name in seen:
            raise ConfigError(f"{where}: connection name {conn.name!r} is used twice")
        seen.add(conn.name)
    return Settings(
        database_url=database_url,
        connections=connections,
        schedule_cron=str(sched.get("cron", "30 2 * * *")),
        schedule_timezone=str(sched.get("timezone", "Asia/Ho_Chi_Minh")),
        source=source,
    )


_CONNECTION_KEYS = {
    "name",
    "platform",
    "base_url",
    "entity",
    "credentials",
    "policy",
    "options",
    "enabled",
}
_POLICY_KEYS = {"price_markup_pct", "price_rounding", "price_floor", "stock_buffer", "min_stars"}


def _parse_connection(raw: Any, index: int, where: str) -> ConnectionSettings:
    label = f"{where}: connection #{index}"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{label} must be a table")
    unknown = set(raw) - _CONNECTION_KEYS
    if unknown:
        raise ConfigError(f"{label}: unknown key(s) {', '.join(sorted(unknown))}")
    for key in ("name", "platform", "base_url"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ConfigError(f"{label}: '{key}' is required and must be text")
    name = raw["name"].strip()
    if not _NAME.match(name):
        raise ConfigError(f"{label}: name {name!r} may hold only letters, digits, '-', '_', '.'")
    label = f"{where}: connection {name!r}"
    base_url = raw["base_url"].strip().rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"{label}: base_url must start with http:// or https://")
    credentials = raw.get("credentials", {})
    if not isinstance(credentials, Mapping):
        raise ConfigError(f"{label}: [connections.credentials] must be a table")
    options = raw.get("options", {})
    if not isinstance(options, Mapping):
        raise ConfigError(f"{label}: [connections.options] must be a table")
    return ConnectionSettings(
        name=name,
        platform=raw["platform"].strip().lower(),
        base_url=base_url,
        entity=str(raw.get("entity", "*")).strip() or "*",
        credentials={str(k): str(v) for k, v in credentials.items()},
        policy=_parse_policy(raw.get("policy", {}), label),
        options=dict(options),
        enabled=bool(raw.get("enabled", True)),
    )


def _parse_policy(raw: Any, label: str) -> Policy:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{label}: [connections.policy] must be a table")
    unknown = set(raw) - _POLICY_KEYS
    if unknown:
        raise ConfigError(f"{label}: unknown policy key(s) {', '.join(sorted(unknown))}")
    try:
        return Policy(
            price_markup_pct=float(raw.get("price_markup_pct", 0)),
            price_rounding=int(raw.get("price_rounding", 1000)),
            price_floor=int(raw.get("price_floor", 0)),
            stock_buffer=int(raw.get("stock_buffer", 0)),
            min_stars=int(raw.get("min_stars", 3)),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{label}: policy: {exc}") from exc
