"""The key that encrypts platform tokens at rest, and the cipher that uses it.

Tokens (access and refresh) are stored encrypted with Fernet (``cryptography``:
AES-128-CBC with an HMAC-SHA256, keyed by 32 random bytes), so a copy of the database
alone reveals no token. The key comes from, in order:

1. ``OCOPSYNC_SECRET_KEY``: the key itself (what ``Fernet.generate_key()`` prints), for
   deployments where several machines share one PostgreSQL database;
2. ``OCOPSYNC_SECRET_KEY_FILE``: a file holding it;
3. otherwise a key file next to a SQLite database (``ocopsync.db`` -> ``ocopsync.db.key``),
   or, for a server database (PostgreSQL) or an in-memory one, ``secret.key`` in the user's
   config folder (``$XDG_CONFIG_HOME/ocopsync``, else ``~/.config/ocopsync``).

The file is created on ``ocopsync init`` and on first need, readable by its owner only
(0600), by one atomic link so that processes starting together all end with the same
key. Keep it out of backups that travel with the database.

Stored values carry a prefix, ``fernet:``, so a token written in plain text by release
0.1.0 is recognised (no prefix), read once and written back encrypted: no migration.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.engine import URL, make_url

from ocopsync.errors import ConfigError, register_secret
from ocopsync.i18n import _

KEY_ENV = "OCOPSYNC_SECRET_KEY"
KEY_FILE_ENV = "OCOPSYNC_SECRET_KEY_FILE"
PREFIX = "fernet:"
"""Marks an encrypted value. Explicit rather than Fernet's own ``gAAAAA`` start, which a
platform's plain token could share, and room for a ``fernet2:`` after a key rotation."""
KEY_FILE_MODE = 0o600


def config_folder(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "ocopsync"


def key_file_for(database_url: str | URL, environ: Mapping[str, str] | None = None) -> Path:
    """Where the key file of this database is (see the module docstring for the order)."""
    env = os.environ if environ is None else environ
    if env.get(KEY_FILE_ENV):
        return Path(env[KEY_FILE_ENV]).expanduser()
    url = make_url(database_url)
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database and database != ":memory:":
        path = Path(database.removeprefix("file:").split("?", 1)[0])
        return path.with_name(path.name + ".key")
    return config_folder(env) / "secret.key"


def ensure_secret_key(path: Path) -> Path:
    """The key file at ``path``, created (0600, atomically) when there is none yet.

    ``ocopsync init`` calls it so the key exists before the first token does; the token
    store calls it on first need. An existing file is left as it is (its key encrypts
    the tokens already stored).
    """
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".key-", dir=path.parent)
    try:
        os.chmod(temporary, KEY_FILE_MODE)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(Fernet.generate_key() + b"\n")
        # A link never replaces: of processes racing here, one key wins and all read it.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return path


def init_secret_key(database_url: str | URL, environ: Mapping[str, str] | None = None) -> str:
    """For ``ocopsync init``: make sure a key exists, and say where it is."""
    env = os.environ if environ is None else environ
    if env.get(KEY_ENV):
        return _("tokens are encrypted with the key in {env}").format(env=KEY_ENV)
    path = ensure_secret_key(key_file_for(database_url, env))
    return _("tokens are encrypted with the key in {path} (keep it; back it up apart)").format(
        path=path
    )


def token_cipher(database_url: str | URL, environ: Mapping[str, str] | None = None) -> TokenCipher:
    """The cipher of this database's key, the key file created on first need."""
    env = os.environ if environ is None else environ
    if env.get(KEY_ENV):
        return TokenCipher(_fernet(env[KEY_ENV].encode(), KEY_ENV), KEY_ENV)
    path = ensure_secret_key(key_file_for(database_url, env))
    try:
        text = path.read_bytes().strip()
    except OSError as exc:
        raise ConfigError(
            _("cannot read the secret key file {path}: {error}").format(
                path=path, error=exc.strerror or exc
            )
        ) from None
    return TokenCipher(_fernet(text, str(path)), str(path))


def _fernet(key: bytes, where: str) -> Fernet:
    try:
        cipher = Fernet(key)
    except (ValueError, TypeError):
        raise ConfigError(
            _(
                "the secret key in {where} is not a Fernet key (32 bytes in url-safe "
                "base64, as Fernet.generate_key() writes)"
            ).format(where=where)
        ) from None
    register_secret(key.decode(errors="replace"))
    return cipher


class TokenCipher:
    """Encrypts values for the database and reads them back, old plain ones included."""

    def __init__(self, cipher: Fernet, where: str = "") -> None:
        self._cipher = cipher
        self._where = where

    def seal(self, value: str) -> str:
        """``value`` encrypted, with its prefix; an empty value stays empty (no token)."""
        if not value:
            return ""
        return PREFIX + self._cipher.encrypt(value.encode()).decode()

    def open(self, stored: str) -> tuple[str, bool]:
        """The plain value, and whether it was stored in plain text (to write it back)."""
        if not stored.startswith(PREFIX):
            return stored, bool(stored)
        try:
            return self._cipher.decrypt(stored[len(PREFIX) :].encode()).decode(), False
        except InvalidToken:
            raise ConfigError(
                _(
                    "the stored tokens were encrypted with another key than {where}: set "
                    "{env} (or {file_env}) to the key used when they were stored, or "
                    "authorize the shops again (ocopsync connections authorize NAME)"
                ).format(where=self._where or KEY_ENV, env=KEY_ENV, file_env=KEY_FILE_ENV)
            ) from None
