"""Reading platform answers: the one place where an answer we cannot read becomes our error.

Every connector reads what a platform says through :class:`Answer`: a JSON value, the
request it answers (``GET /api/v1/products``) and where in the document it sits
(``items[3].sku``). Its typed accessors (``answer.field("items", list)``,
``answer.text("sku")``, ``answer.obj("data")``...) return the value or raise one error,
:class:`~ocopsync.errors.UnexpectedAnswerError`, whose message says which platform,
which request and which field::

    unexpected answer from portal: GET /api/v1/products: field 'items' missing

An HTML page, an empty body, a missing key or a wrong type all end there, never in a
``KeyError`` that escapes the connection's task. The error is transient (retried like
a failed call: proxies' error pages and cut bodies pass), then this connection's error.

Pure parsers take either an :class:`Answer` or a plain decoded value (tests pass dicts):
:func:`as_answer` wraps the latter. An error raised without the request is given it by
:meth:`ocopsync.connectors.http.PlatformHttp.call`, the boundary around every attempt.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import httpx

from ocopsync.errors import UnexpectedAnswerError
from ocopsync.i18n import _

T = TypeVar("T")

_KIND_NAMES: dict[type, str] = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "an object",
}
_SHOWN = 40
"""Scalars in messages are cut to this many characters: enough to recognise, not a dump."""


def kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)


def described(value: Any) -> str:
    """What a value is, for a message: ``text 'abc'``, ``a list``, ``null``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    name = _KIND_NAMES.get(type(value), type(value).__name__)
    if isinstance(value, str | int | float):
        shown = repr(value)
        return f"{name} {shown[:_SHOWN]}{'...' if len(shown) > _SHOWN else ''}"
    return name


def is_kind(value: Any, kind: type | tuple[type, ...]) -> bool:
    """``isinstance``, except that a bool is not a number and an int is a float."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool):
        return bool in kinds
    if isinstance(value, int) and float in kinds:
        return True
    return isinstance(value, kinds)


def call_of(response: httpx.Response) -> str:
    """``METHOD /path`` of the request a response answers; never the query (tokens)."""
    try:
        request = response.request
    except RuntimeError:  # a Response built by hand, with no request
        return ""
    return f"{request.method} {request.url.path}"


def decoded(response: httpx.Response) -> Any | None:
    """The JSON of a body, or None when it is empty or not JSON (for error answers,
    whose status says enough when the body cannot)."""
    try:
        return json.loads(response.content) if response.content.strip() else None
    except ValueError:
        return None


class Answer:
    """A decoded platform answer, or a part of one, read through typed accessors."""

    __slots__ = ("call", "path", "platform", "value")

    def __init__(self, value: Any, platform: str, *, call: str = "", path: str = "") -> None:
        self.value = value
        self.platform = platform
        self.call = call
        self.path = path

    @classmethod
    def of(cls, response: httpx.Response, platform: str) -> Answer:
        """The JSON of ``response``; an empty or non-JSON body is an unexpected answer."""
        call = call_of(response)
        status = response.status_code
        if not response.content.strip():
            detail = _("an empty body (HTTP {status})").format(status=status)
            raise UnexpectedAnswerError(detail, platform=platform, call=call)
        try:
            value = json.loads(response.content)
        except ValueError:
            kind = response.headers.get("content-type", "").split(";")[0].strip() or "no type"
            detail = _("not JSON (HTTP {status}, {kind})").format(status=status, kind=kind)
            raise UnexpectedAnswerError(detail, platform=platform, call=call) from None
        return cls(value, platform, call=call)

    # -- errors --------------------------------------------------------------------------
    def _where(self, key: str | int | None) -> str:
        if key is None:
            return self.path
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def fail(self, detail: str, key: str | int | None = None) -> UnexpectedAnswerError:
        """Our error for this part of the answer (or its ``key``), to raise."""
        where = self._where(key)
        if where:
            detail = _("field {where!r} {detail}").format(where=where, detail=detail)
        return UnexpectedAnswerError(detail, platform=self.platform, call=self.call)

    def child(self, key: str | int, value: Any) -> Answer:
        return Answer(value, self.platform, call=self.call, path=self._where(key))

    # -- the shape of this part ----------------------------------------------------------
    def mapping(self) -> dict[str, Any]:
        """This part as an object (every keyed accessor needs one)."""
        if not isinstance(self.value, dict):
            raise self.fail(_("should be an object, got {got}").format(got=described(self.value)))
        return self.value

    def each(self) -> list[Answer]:
        """This part as a list of objects, each an :class:`Answer`."""
        if not isinstance(self.value, list):
            raise self.fail(_("should be a list, got {got}").format(got=described(self.value)))
        children = [self.child(i, v) for i, v in enumerate(self.value)]
        for item in children:
            item.mapping()
        return children

    # -- keyed accessors -----------------------------------------------------------------
    def has(self, key: str) -> bool:
        return key in self.mapping()

    def get(self, key: str, default: Any = None) -> Any:
        """The raw value at ``key`` (``default`` when absent): for what any value will do."""
        return self.mapping().get(key, default)

    def field(self, key: str, kind: type[T]) -> T:
        """``key``, which must be present and of ``kind`` (a bool is not a number)."""
        values = self.mapping()
        if key not in values:
            raise self.fail(_("missing"), key)
        value = values[key]
        if not is_kind(value, kind):
            raise self.fail(self._wrong(kind, value), key)
        return cast(T, float(value) if kind is float else value)

    def maybe(self, key: str, kind: type[T]) -> T | None:
        """``key`` of ``kind``, or None when it is absent or null."""
        return None if self.get(key) is None else self.field(key, kind)

    def text(self, key: str) -> str:
        return self.field(key, str)

    def whole(self, key: str) -> int:
        return self.field(key, int)

    def obj(self, key: str) -> Answer:
        """The object at ``key``."""
        return self.child(key, self.field(key, dict))

    def items(self, key: str, *, optional: bool = False) -> list[Answer]:
        """The list of objects at ``key``, each an :class:`Answer`; when ``optional``, an
        absent or null ``key`` is an empty list."""
        if optional and self.get(key) is None:
            return []
        return self.child(key, self.field(key, list)).each()

    def ident(self, key: str) -> str:
        """An id, which platforms send as text or as a whole number: as text, never empty."""
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
            what = _("missing") if value is None else self._wrong((str, int), value)
            raise self.fail(what, key)
        return str(value)

    def scalar_text(self, key: str, default: str = "") -> str:
        """Text from any scalar (``default`` when absent or null), where a number will do too."""
        value = self.get(key)
        if value is None:
            return default
        if isinstance(value, str | int | float):
            return str(value)
        raise self.fail(self._wrong(str, value), key)

    def count(self, key: str, default: int = 0) -> int:
        """A whole number sent as a number or as digits (``default`` when absent, null or "")."""
        value = self.get(key)
        if value is None or value == "":
            return default
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())
        raise self.fail(self._wrong(int, value), key)

    def number(self, key: str, default: float = 0.0) -> float:
        """A number sent as a number or as text (``"45000.00"``); ``default`` when absent."""
        value = self.get(key)
        if value is None or value == "":
            return default
        if not isinstance(value, bool) and isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise self.fail(self._wrong(float, value), key)

    def instant(self, key: str) -> datetime:
        """An ISO 8601 time with an offset, in UTC (a time without one names no moment)."""
        text = self.text(key)
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            detail = _("should be ISO 8601 with an offset, got {got}").format(got=described(text))
            raise self.fail(detail, key)
        return when.astimezone(UTC)

    def epoch(self, key: str, *, per_second: int = 1, fractional: bool = False) -> datetime:
        """A Unix time (seconds, or ``per_second=1000`` for milliseconds), in UTC: a whole
        number unless ``fractional``."""
        value: float = self.field(key, float) if fractional else self.field(key, int)
        if value < 0:
            raise self.fail(_("should not be negative, got {got}").format(got=value), key)
        try:
            return datetime.fromtimestamp(value / per_second, UTC)
        except (OverflowError, OSError, ValueError):
            raise self.fail(_("is not a time: {got}").format(got=described(value)), key) from None

    def one_of(self, key: str, table: dict[str, T]) -> T:
        """``table[answer.text(key)]``: a value from a closed set the dialect defines."""
        value = self.text(key)
        if value not in table:
            known = ", ".join(table)
            detail = _("{got} is not one of {known}").format(got=described(value), known=known)
            raise self.fail(detail, key)
        return table[value]

    def _wrong(self, kind: type | tuple[type, ...], value: Any) -> str:
        return _("should be {kind}, got {got}").format(kind=kind_name(kind), got=described(value))

    def __iter__(self) -> Iterator[Answer]:
        return iter(self.each())

    def __repr__(self) -> str:
        return f"Answer({self.platform}, {self.call!r}, {self.path!r})"


def as_answer(value: Any, platform: str, path: str = "") -> Answer:
    """``value`` as an :class:`Answer`: pure parsers accept a decoded value too (tests)."""
    return value if isinstance(value, Answer) else Answer(value, platform, path=path)
