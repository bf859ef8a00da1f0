"""Tokens in the ``credential`` table, encrypted at rest."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine, update
from sqlmodel import Session, col

from ocopsync.models import (
    Credential,
    as_utc,
    utcnow,
)
from ocopsync.records import Tokens
from ocopsync.secrets import TokenCipher, token_cipher


class DbTokenStore:
    """Tokens in the ``credential`` table, so the next run and the next cron job reuse them.

    Access and refresh tokens are encrypted at rest (:mod:`ocopsync.secrets`: Fernet,
    the key from ``OCOPSYNC_SECRET_KEY`` or a key file), so a copy of the database
    alone reveals none. A token stored in plain text by release 0.1.0 is read as it is
    and written back encrypted at once. The key is loaded on first need, so a command
    that never touches tokens never needs it; a wrong key is a ConfigError saying so.
    """

    def __init__(self, engine: Engine, environ: Mapping[str, str] | None = None) -> None:
        self.engine = engine
        self.environ = environ
        self._cipher: TokenCipher | None = None

    def _sealer(self) -> TokenCipher:
        if self._cipher is None:
            self._cipher = token_cipher(self.engine.url, self.environ)
        return self._cipher

    def load(self, connection: str) -> Tokens | None:
        with Session(self.engine) as session:
            row = session.get(Credential, connection)
            if row is None or not row.access_token:
                return None
            cipher = self._sealer()
            access, access_plain = cipher.open(row.access_token)
            refresh, refresh_plain = cipher.open(row.refresh_token)
            tokens = Tokens(
                access_token=access,
                refresh_token=refresh,
                access_expires_at=as_utc(row.access_expires_at),
                refresh_expires_at=as_utc(row.refresh_expires_at),
                extra=dict(row.extra),
            )
        if access_plain or refresh_plain:  # written by 0.1.0: encrypt it now
            self._reseal(connection, cipher, tokens)
        return tokens

    def _reseal(self, connection: str, cipher: TokenCipher, tokens: Tokens) -> None:
        """Write a plain-text token back encrypted, leaving no copy of its old bytes.

        SQLite keeps a rewritten row's old bytes in the page's free space and in the
        write-ahead log until a checkpoint: ``secure_delete`` zeroes the first, the
        checkpoint (best effort: a busy database keeps its log a while longer) the second.
        """
        sqlite = self.engine.dialect.name == "sqlite"
        with self.engine.begin() as db:
            if sqlite:
                db.exec_driver_sql("PRAGMA secure_delete = ON")
            db.execute(
                update(Credential)
                .where(col(Credential.connection) == connection)
                .values(
                    access_token=cipher.seal(tokens.access_token),
                    refresh_token=cipher.seal(tokens.refresh_token),
                )
            )
            if sqlite:
                db.exec_driver_sql("PRAGMA secure_delete = OFF")
        if sqlite:
            with self.engine.connect() as db:
                db.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def save(self, connection: str, platform: str, tokens: Tokens) -> None:
        cipher = self._sealer()
        with Session(self.engine) as session:
            row = session.get(Credential, connection) or Credential(
                connection=connection, platform=platform
            )
            row.platform = platform
            _seal_into(row, cipher, tokens)
            row.access_expires_at = tokens.access_expires_at
            row.refresh_expires_at = tokens.refresh_expires_at
            row.extra = dict(tokens.extra)
            row.updated_at = utcnow()
            session.add(row)
            session.commit()


def _seal_into(row: Credential, cipher: TokenCipher, tokens: Tokens) -> None:
    row.access_token = cipher.seal(tokens.access_token)
    row.refresh_token = cipher.seal(tokens.refresh_token)
