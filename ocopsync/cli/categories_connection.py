"""Which connection ``ocopsync categories PLATFORM [--connection C]`` means: pure.

``PLATFORM`` is a platform name (the config's only connection of it, or ``--connection``)
or a connection name, so ``ocopsync categories demo-shopee`` works as it always has; each
way of not naming one connection is a ConfigError that says what to type instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from ocopsync.config import ConnectionSettings, Settings
from ocopsync.errors import ConfigError
from ocopsync.i18n import _


def resolve_connection(
    s: Settings, name: str, connection: str | None, platforms: Sequence[str] = ()
) -> ConnectionSettings:
    """The connection ``PLATFORM [--connection C]`` names, or a ConfigError saying why not.

    A connection name wins over a platform name; a platform with several connections
    needs ``--connection`` (disabled ones are left aside when one enabled remains).
    """
    if connection:
        conn = s.connection(connection)
        if name not in (conn.name, conn.platform):
            raise ConfigError(
                _("connection {connection} is on {platform}, not {name}").format(
                    connection=conn.name, platform=conn.platform, name=name
                )
            )
        return conn
    for conn in s.connections:
        if conn.name == name:
            return conn
    of_platform = [c for c in s.connections if c.platform == name]
    if len(of_platform) > 1:
        enabled = [c for c in of_platform if c.enabled]
        of_platform = enabled if len(enabled) == 1 else of_platform
    if len(of_platform) == 1:
        return of_platform[0]
    if of_platform:
        raise ConfigError(
            _(
                "{count} connections are on {platform} ({names}): choose one with --connection"
            ).format(
                count=len(of_platform),
                platform=name,
                names=", ".join(c.name for c in of_platform),
            )
        )
    known = ", ".join(c.name for c in s.connections) or _("none configured")
    if name in platforms:
        raise ConfigError(
            _("the config has no {platform} connection (connections: {known})").format(
                platform=name, known=known
            )
        )
    raise ConfigError(
        _("no connection or platform named {name!r} (connections: {known})").format(
            name=name, known=known
        )
    )
