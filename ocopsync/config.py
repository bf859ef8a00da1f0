"""Reading ``ocopsync.toml``: connections, their credentials and policies, and what
provincial staff and importers configure (catalog columns, coverage targets).

The file is validated by strict pydantic models when it is loaded, so a mistake never
turns into a default silently: every problem is reported at once, each with its TOML
path (``connections[2].policy.stock_buffer: must be >= 0``; connections are counted
from 1, as a person counts the ``[[connections]]`` tables). Wrong types are refused
(``enabled = "false"`` is text, not a boolean), unknown keys are refused at every level
with the nearest valid name (``schedule.corn`` -> ``cron``), URLs must be http(s) with a
host and a port in 1..65535. ``[connections.options]`` stays free-form per platform,
but the option names ocopsync itself reads (``rate_limit_per_s``, ``sales_from``,
``category_map``...) are typed.

A connection's ``entity`` says whose products it sells: one ``entity_code`` (a
producer's own shop), ``"*"`` (every product in the catalog: the provincial portal), or
a list of codes (``entity = ["QN-HTX-BACHE", "QN-HTX-BINHLIEU"]``: a provincial OCOP
pavilion on Voso or Postmart selling several producers' products from one shop).
:class:`ConnectionSettings` keeps it as text (``"*"``, ``"QN-HTX-BACHE"`` or
``"QN-HTX-BACHE,QN-HTX-BINHLIEU"``, the form the database and the tables show) and
answers :meth:`ConnectionSettings.covers` for each code.

Credentials are written as ``${ENV_VAR}`` references so the file can be shared or
committed; the values are resolved when a connection is used, from the environment
and then from an env file (``OCOPSYNC_ENV_FILE``, else ``.env`` next to the config;
the environment wins), and a missing variable is a :class:`ConfigError` that names it
(never its value). A credential written in plain text still works but is returned as a
warning in :attr:`Settings.warnings`, naming the key and never the value.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ocopsync.errors import ConfigError
from ocopsync.i18n import _
from ocopsync.policy import Policy

DEFAULT_CONFIG_NAME = "ocopsync.toml"
DEFAULT_DATABASE_URL = "sqlite:///ocopsync.db"
DEFAULT_CRON = "30 2 * * *"
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
ENV_FILE_NAME = ".env"
ENV_FILE_VARIABLE = "OCOPSYNC_ENV_FILE"
MAX_DONG = 1_000_000_000
"""A billion dong: no OCOP product sells for more, and a larger figure is a typo."""

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


# -- the models: what the file may say -------------------------------------------------
class _Table(BaseModel):
    """A TOML table: exact types, no unknown keys."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


def _check_url(value: str, *, relative_ok: bool = False) -> str:
    value = value.strip()
    if relative_ok and value.startswith("/"):
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        raise ValueError(_("must be an http:// or https:// URL"))
    if not parts.hostname:
        raise ValueError(_("must name a host (http://host:port/...)"))
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or (port is not None and not 1 <= port <= 65535):
        raise ValueError(_("has a port outside 1..65535"))
    if any(c.isspace() for c in value):
        raise ValueError(_("must not contain spaces"))
    return value.rstrip("/")


class DatabaseTable(_Table):
    """``[database]``: checked as a SQLAlchemy URL, never echoed (it may hold a password)."""

    url: str = DEFAULT_DATABASE_URL

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _database_url(value)


class ScheduleTable(_Table):
    """``[schedule]``: the expression and zone are checked by the scheduler that uses them."""

    cron: str = DEFAULT_CRON
    timezone: str = DEFAULT_TIMEZONE


class PolicyTable(_Table):
    """``[connections.policy]`` (fields documented on :class:`~ocopsync.policy.Policy`).

    The upper bounds are far above any real shop's and catch an extra zero or two before
    it becomes a listed price or a stock nobody can sell.
    """

    price_markup_pct: float = Field(default=0.0, ge=-100, le=1000, allow_inf_nan=False)
    price_rounding: int = Field(default=1000, ge=1, le=1_000_000)
    price_floor: int = Field(default=0, ge=0, le=MAX_DONG)
    stock_buffer: int = Field(default=0, ge=0, le=1_000_000)
    min_stars: int = Field(default=3, ge=3, le=5)
    stock_zero_at: int | None = Field(default=None, ge=0, le=1_000_000)
    stock_last_units_to: str | None = Field(default=None, min_length=1)
    stock_max: int | None = Field(default=None, ge=0, le=10_000_000)
    stock_share_pct: float | None = Field(default=None, gt=0, le=100, allow_inf_nan=False)


class OptionsTable(BaseModel):
    """``[connections.options]``: any key a platform reads; ocopsync's own are typed."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True)
    rate_limit_per_s: float | None = Field(default=None, ge=0, le=10_000, allow_inf_nan=False)
    sales_from: Literal["orders", "stock"] | None = None
    category_map: dict[str, int | str] | None = None
    default_weight_g: int | None = Field(default=None, ge=1, le=1_000_000)
    logistic_ids: list[int] | None = None
    package_cm: list[Annotated[int, Field(ge=1, le=1000)]] | None = Field(
        default=None, min_length=3, max_length=3
    )
    image_hosts: list[str] | None = None
    placeholder_image_id: str | None = None
    auth_url: str | None = None
    token_url: str | None = None
    attribute_defaults: dict[str, dict[str, str]] | None = None
    """Per category id (or OCOP group): attribute name -> value used when the catalog's
    ``attributes`` column does not give one (``{"100860" = {"Loại trà" = "Trà xanh"}}``)."""
    fetch_in_flight: int | None = Field(default=None, ge=1, le=16)
    """Page requests in flight per shop while reading listings, where the platform
    pages by number or offset (default 4; 1 reads one page at a time)."""
    discovery_max_age_days: int | None = Field(default=None, ge=0, le=3650)
    """Days a cached category tree, attribute or brand list stays fresh (default 7;
    0 asks the platform every time)."""

    @field_validator("auth_url")
    @classmethod
    def _auth_url(cls, value: str | None) -> str | None:
        return None if value is None else _check_url(value)

    @field_validator("token_url")
    @classmethod
    def _token_url(cls, value: str | None) -> str | None:
        return None if value is None else _check_url(value, relative_ok=True)


def _entity_text(value: Any) -> str:
    """``"*"``, one code or a list of codes, as the text ConnectionSettings keeps."""
    shape = _('must be an entity_code, "*" or an array of entity_codes')
    if isinstance(value, str):
        codes = [value.strip()]
    elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        codes = list(dict.fromkeys(v.strip() for v in value))
        if "*" in codes and len(codes) > 1:
            raise ValueError(_('"*" already means every entity; list codes or write "*" alone'))
    else:
        raise ValueError(shape)
    if any(not code for code in codes):
        raise ValueError(shape)
    if any("," in code for code in codes):
        raise ValueError(_("an entity_code cannot contain a comma"))
    return ",".join(codes)


def _credential(raw: str) -> str:
    if "${" in _ENV_REF.sub("", raw):
        raise ValueError(_("a reference is written ${NAME}, NAME of letters, digits and _"))
    if re.fullmatch(r"\$[A-Za-z_][A-Za-z0-9_]*", raw.strip()):
        raise ValueError(_("write the reference with braces, as ${NAME}"))
    return raw


Credential = Annotated[str, AfterValidator(_credential)]
"""A credential: ``${VAR}`` (the value stays in the environment) or, warned, plain text."""


def _column_text(value: str) -> str:
    if not value.strip():
        raise ValueError(_("must not be empty"))
    return _nfc(value)


ColumnText = Annotated[str, AfterValidator(_column_text)]


class ConnectionTable(_Table):
    """One ``[[connections]]`` table; the platform is checked against the registry."""

    name: str
    platform: str
    base_url: str
    entity: Any = Field(default="*", validate_default=True)
    enabled: bool = True
    credentials: dict[str, Credential] = Field(default_factory=dict)
    policy: PolicyTable = Field(default_factory=PolicyTable)
    options: OptionsTable = Field(default_factory=OptionsTable)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value.strip()):
            raise ValueError(_("may hold only letters, digits, '-', '_' and '.'"))
        return value.strip()

    @field_validator("platform")
    @classmethod
    def _platform(cls, value: str) -> str:
        return value.strip().lower()

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return _check_url(value)

    @field_validator("entity")
    @classmethod
    def _entity(cls, value: Any) -> str:
        return _entity_text(value)


Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
"""A share of a province's eligible products, 0..1 (0.6 = 60%)."""


def _target_kind(value: Any) -> str:
    return "province" if isinstance(value, dict) else "share"


TargetEntry = Annotated[
    Annotated[Share, Tag("share")] | Annotated[dict[str, Share], Tag("province")],
    Discriminator(_target_kind),
]


class CatalogTable(_Table):
    """``[catalog]``: the column names themselves are the importer's to check."""

    columns: dict[ColumnText, ColumnText] = Field(default_factory=dict)
    """Header text in a cooperative's workbook -> our column name (``"Mã hàng" = "sku"``)."""


class CoverageTable(_Table):
    """``[coverage]``: targets provincial offices are asked to reach."""

    targets: dict[str, TargetEntry] = Field(default_factory=dict)
    """``platform = share``, and ``[coverage.targets."Province"]`` tables of the same."""


class ConfigFile(_Table):
    """The whole file."""

    database: DatabaseTable = Field(default_factory=DatabaseTable)
    schedule: ScheduleTable = Field(default_factory=ScheduleTable)
    catalog: CatalogTable = Field(default_factory=CatalogTable)
    coverage: CoverageTable = Field(default_factory=CoverageTable)
    connections: list[ConnectionTable] = Field(default_factory=list)


_TABLES: dict[str, type[BaseModel]] = {
    "": ConfigFile,
    "database": DatabaseTable,
    "schedule": ScheduleTable,
    "catalog": CatalogTable,
    "coverage": CoverageTable,
    "connections": ConnectionTable,
    "connections.policy": PolicyTable,
}
"""Where an unknown key can be, by path without indexes: the names valid there."""


# -- what callers use -------------------------------------------------------------------
@dataclass(frozen=True)
class ConnectionSettings:
    """One shop of one entity, of several, or of the whole province, on one platform."""

    name: str
    platform: str
    base_url: str
    entity: str = "*"
    """``"*"``, one entity_code, or several joined by commas (an ``entity`` list)."""
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Raw values as written in the file, ``${VAR}`` references unresolved (never shown)."""
    policy: Policy = field(default_factory=Policy)
    options: Mapping[str, Any] = field(default_factory=dict)
    """Platform-specific settings (category map, logistics channel, auth host...)."""
    enabled: bool = True
    env_file_values: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    """Variables from the env file, for ``${VAR}`` the environment does not set."""

    @property
    def entity_codes(self) -> frozenset[str] | None:
        """The producers this shop sells for; None for every product (``"*"``)."""
        if self.entity.strip() == "*":
            return None
        return frozenset(code.strip() for code in self.entity.split(",") if code.strip())

    def covers(self, entity_code: str) -> bool:
        codes = self.entity_codes
        return codes is None or entity_code in codes

    def resolved_credentials(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """Credentials with every ``${VAR}`` replaced (environment first, then env file)."""
        env = {**self.env_file_values, **os.environ} if environ is None else environ
        where = _("connection {name!r} credential").format(name=self.name)
        return {
            key: _expand(str(raw), env, f"{where} {key!r}") for key, raw in self.credentials.items()
        }


@dataclass(frozen=True)
class Settings:
    """Everything ``ocopsync.toml`` says, after validation."""

    database_url: str = DEFAULT_DATABASE_URL
    connections: tuple[ConnectionSettings, ...] = ()
    schedule_cron: str = DEFAULT_CRON
    schedule_timezone: str = DEFAULT_TIMEZONE
    source: Path | None = None
    catalog_columns: Mapping[str, str] = field(default_factory=dict)
    """``[catalog.columns]``: workbook header -> our column name, NFC-normalised."""
    coverage_targets: Mapping[str, float] = field(default_factory=dict)
    """``[coverage.targets]``: platform -> target share 0..1 for every province."""
    coverage_targets_by_province: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """``[coverage.targets."Province"]``: province (NFC) -> platform -> share."""
    warnings: tuple[str, ...] = ()
    """What is allowed but unwise (plaintext credentials); the CLI prints them once."""

    def connection(self, name: str) -> ConnectionSettings:
        for conn in self.connections:
            if conn.name == name:
                return conn
        known = ", ".join(c.name for c in self.connections) or _("none configured")
        raise ConfigError(
            _("no connection named {name!r} (known: {known})").format(name=name, known=known)
        )

    def select(
        self, *, platform: str | None = None, connection: str | None = None
    ) -> list[ConnectionSettings]:
        chosen = [c for c in self.connections if c.enabled]
        if platform:
            chosen = [c for c in chosen if c.platform == platform]
        if connection:
            chosen = [c for c in chosen if c.name == connection]
        return chosen


class ConfigInvalid(ConfigError):
    """The config has problems; ``problems`` holds one line per problem, path first."""

    def __init__(self, where: str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(
            _("{where}: {count} problem(s):\n{lines}").format(
                where=where, count=len(self.problems), lines=lines
            )
        )


# -- loading ----------------------------------------------------------------------------
def find_config_path(explicit: str | Path | None = None) -> Path | None:
    """The config file to read: ``--config``, then ``OCOPSYNC_CONFIG``, then ./ocopsync.toml."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(_("config file {path} does not exist").format(path=path))
        return path
    env_path = os.environ.get("OCOPSYNC_CONFIG")
    if env_path:
        path = Path(env_path)
        if not path.is_file():
            raise ConfigError(
                _("OCOPSYNC_CONFIG points to {path}, which does not exist").format(path=path)
            )
        return path
    default = Path(DEFAULT_CONFIG_NAME)
    return default if default.is_file() else None


def find_env_file(config_path: Path | None) -> Path | None:
    """``OCOPSYNC_ENV_FILE`` (which must exist), else ``.env`` beside the config file."""
    named = os.environ.get(ENV_FILE_VARIABLE)
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(
                _("{var} points to {path}, which does not exist").format(
                    var=ENV_FILE_VARIABLE, path=path
                )
            )
        return path
    if config_path is None:
        return None
    beside = config_path.parent / ENV_FILE_NAME
    return beside if beside.is_file() else None


def load_settings(explicit: str | Path | None = None, *, env_file: Path | None = None) -> Settings:
    """Read and validate the config; with no file, defaults and no connections.

    ``env_file`` names the env file instead of :func:`find_env_file` (the demo reads
    its own whatever ``OCOPSYNC_ENV_FILE`` says).
    """
    path = find_config_path(explicit)
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                _("{path}: not valid TOML: {reason}").format(path=path, reason=exc)
            ) from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(_("{path}: not UTF-8 text").format(path=path)) from exc
    env_path = env_file or find_env_file(path)
    env, notes = read_env_file(env_path) if env_path else ({}, [])
    settings = parse_settings(data, source=path, env=env)
    if notes:
        settings = _with_warnings(settings, notes)
    return settings


def read_env_file(path: Path) -> tuple[dict[str, str], list[str]]:
    """``NAME=value`` lines (``export`` and quotes allowed, ``#`` comments) and warnings.

    A line that is not an assignment is an error naming the file and line, never its
    text, since it may hold a secret.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(_("{path}: cannot be read as UTF-8 text").format(path=path)) from exc
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)", line)
        if match is None:
            raise ConfigError(
                _("{path}: line {line}: expected NAME=value").format(path=path, line=number)
            )
        value = match.group(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[match.group(1)] = value
    notes = []
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        notes.append(
            _("{path}: other users can read this file of secrets (chmod 600 {path})").format(
                path=path
            )
        )
    return values, notes


def parse_settings(
    data: Mapping[str, Any], source: Path | None = None, *, env: Mapping[str, str] | None = None
) -> Settings:
    """Validate a parsed TOML document; a :class:`ConfigInvalid` lists every problem.

    ``env`` holds the env file's variables, used for ``${VAR}`` the environment lacks.
    """
    where = str(source) if source else "config"
    problems: list[str] = []
    model: ConfigFile | None = None
    try:
        model = ConfigFile.model_validate(data)
    except ValidationError as exc:
        problems += [_describe(err, data) for err in exc.errors()]
    problems += _cross_check(data)
    database_url = os.environ.get("OCOPSYNC_DATABASE_URL")
    if database_url:
        try:
            database_url = _database_url(database_url)
        except ValueError as exc:
            problems.append(f"OCOPSYNC_DATABASE_URL: {exc}")
    if problems or model is None:
        raise ConfigInvalid(where, problems)
    targets = model.coverage.targets
    return Settings(
        database_url=database_url or model.database.url,
        connections=tuple(_connection(c, env or {}) for c in model.connections),
        schedule_cron=model.schedule.cron,
        schedule_timezone=model.schedule.timezone,
        source=source,
        catalog_columns=MappingProxyType({k: v.lower() for k, v in model.catalog.columns.items()}),
        coverage_targets=MappingProxyType(
            {k: v for k, v in targets.items() if not isinstance(v, dict)}
        ),
        coverage_targets_by_province=MappingProxyType(
            {_nfc(k): MappingProxyType(dict(v)) for k, v in targets.items() if isinstance(v, dict)}
        ),
        warnings=tuple(_plaintext_warnings(model)),
    )


def _connection(table: ConnectionTable, env: Mapping[str, str]) -> ConnectionSettings:
    # Only the options the file sets (validated), so a connector's own defaults apply.
    options = dict(table.options.model_dump(exclude_unset=True))
    return ConnectionSettings(
        name=table.name,
        platform=table.platform,
        base_url=table.base_url,
        entity=table.entity,
        credentials=dict(table.credentials),
        policy=Policy(**table.policy.model_dump()),
        options=options,
        enabled=table.enabled,
        env_file_values=MappingProxyType(dict(env)),
    )


def _plaintext_warnings(model: ConfigFile) -> list[str]:
    notes = []
    for index, conn in enumerate(model.connections, start=1):
        for key, raw in conn.credentials.items():
            if raw and not _ENV_REF.search(raw):
                notes.append(
                    _(
                        "connections[{index}].credentials.{key}: written in plain text "
                        '(connection "{name}"); write "${{VARIABLE}}" and keep the value in '
                        "the environment or the .env file"
                    ).format(index=index, key=_toml_key(key), name=conn.name)
                )
    return notes


def _with_warnings(settings: Settings, notes: Sequence[str]) -> Settings:
    return replace(settings, warnings=(*settings.warnings, *notes))


def _database_url(value: str) -> str:
    try:
        make_url(value.strip())
    except ArgumentError:
        # Never echo the URL: it may carry a password.
        raise ValueError(_("not a database URL (for example sqlite:///ocopsync.db)")) from None
    return value.strip()


def _expand(raw: str, env: Mapping[str, str], where: str) -> str:
    def replace(match: re.Match[str]) -> str:
        var = match.group(1)
        if var not in env:
            raise ConfigError(
                _("{where} needs environment variable {var}, which is not set").format(
                    where=where, var=var
                )
            )
        return env[var]

    return _ENV_REF.sub(replace, raw)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


# -- problems, each with its TOML path --------------------------------------------------
def _cross_check(data: Mapping[str, Any]) -> list[str]:
    """What no single table can see: names used twice, platforms no connector serves."""
    from ocopsync.connectors.registry import available_platforms

    known = available_platforms()
    problems = []
    connections = data.get("connections")
    seen: set[str] = set()
    for index, conn in enumerate(connections if isinstance(connections, list) else [], 1):
        if not isinstance(conn, Mapping):
            continue
        name, platform = conn.get("name"), conn.get("platform")
        if isinstance(name, str) and name.strip():
            if name.strip() in seen:
                problems.append(
                    _('connections[{index}].name: "{name}" is used twice').format(
                        index=index, name=name.strip()
                    )
                )
            seen.add(name.strip())
        if isinstance(platform, str) and known and platform.strip().lower() not in known:
            problems.append(f"connections[{index}].platform: {_unknown_platform(platform, known)}")
    coverage = data.get("coverage")
    targets = coverage.get("targets") if isinstance(coverage, Mapping) else None
    if isinstance(targets, Mapping) and known:
        for key, value in targets.items():
            # A table is a province's own targets; a number is a target for every province.
            if isinstance(value, Mapping):
                prefix, platforms = f"coverage.targets.{_toml_key(key)}.", list(value)
            else:
                prefix, platforms = "coverage.targets.", [key]
            problems += [
                f"{prefix}{_toml_key(str(p))}: {_unknown_platform(str(p), known)}"
                for p in platforms
                if str(p) not in known
            ]
    return problems


def _unknown_platform(platform: str, known: Sequence[str]) -> str:
    return _("no connector for platform {platform!r}{hint} (known: {known})").format(
        platform=platform, hint=_nearest(platform, known), known=", ".join(known)
    )


def _nearest(key: str, names: Sequence[str]) -> str:
    close = difflib.get_close_matches(key.lower(), list(names), n=1, cutoff=0.6)
    return _("; did you mean {name!r}?").format(name=close[0]) if close else ""


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else '"' + key.replace('"', '\\"') + '"'


def _describe(error: Any, data: Mapping[str, Any]) -> str:
    """One line for one pydantic error: the TOML path as written, then what is wrong."""
    loc = tuple(error["loc"])
    if error["type"] == "missing":  # the table to fix, and the key it lacks
        error = {**error, "ctx": {"key": str(loc[-1])}}
        loc = loc[:-1]
    path: list[str] = []
    table_path: list[str] = []
    node: Any = data
    for position, key in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(key, int) and isinstance(node, list) and 0 <= key < len(node):
            path.append(f"[{key + 1}]")
            node = node[key]
        elif isinstance(key, str) and isinstance(node, Mapping) and (key in node or last):
            path.append(("." if path else "") + _toml_key(key))
            table_path.append(key)
            node = node.get(key)
        # anything else is a union member's tag, not a key of the file
    text = "".join(path) or _("(top level)")
    message = _message(error, ".".join(table_path[:-1]))
    name = _connection_name(loc, data)
    suffix = f' (connection "{name}")' if name else ""
    return f"{text}: {message}{suffix}"


def _connection_name(loc: tuple[Any, ...], data: Mapping[str, Any]) -> str | None:
    if len(loc) < 2 or loc[0] != "connections" or not isinstance(loc[1], int):
        return None
    conns = data.get("connections")
    if not isinstance(conns, list) or not 0 <= loc[1] < len(conns):
        return None
    conn = conns[loc[1]]
    name = conn.get("name") if isinstance(conn, Mapping) else None
    return name if isinstance(name, str) and name else None


_MESSAGES = {
    "missing": "{key!r} is required",
    "bool_type": "must be true or false (without quotes)",
    "int_type": "must be a whole number",
    "float_type": "must be a number",
    "string_type": "must be text (in quotes)",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "list_type": "must be an array",
    "finite_number": "must be a finite number",
    "greater_than_equal": "must be >= {ge}",
    "less_than_equal": "must be <= {le}",
    "greater_than": "must be > {gt}",
    "less_than": "must be < {lt}",
    "too_short": "must hold at least {min_length} item(s)",
    "too_long": "must hold at most {max_length} item(s)",
    "literal_error": "must be {expected}",
}


def _message(error: Any, table: str) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(error["loc"][-1])
        names = _TABLES.get(table)
        if names is None:
            return _("unknown key")
        valid = list(names.model_fields)
        hint = _nearest(key, valid) or _(" (valid here: {names})").format(names=", ".join(valid))
        return _("unknown key{hint}").format(hint=hint)
    if kind == "list_type" and tuple(error["loc"]) == ("connections",):
        return _("must be an array of tables, each written [[connections]]")
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    template = _MESSAGES.get(kind)
    if template is None:
        return str(error["msg"])
    # 1.0 is written 1, as a person writes a limit.
    shown = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in ctx.items()}
    return _(template).format(**shown)
