"""Messages in the reader's language: Vietnamese or English, through stdlib gettext.

Cooperatives and provincial staff read Vietnamese first, so every message a person sees
goes through ``_()`` (and ``plural()`` when it counts). The English text is the message
id; the Vietnamese catalog ships compiled in the package
(``ocopsync/locale/vi/LC_MESSAGES/ocopsync.mo``), so installing ocopsync needs no
translation tool. ``_()`` looks the message up when it is called, not when it is
imported, so a message built after ``--lang`` is parsed comes out in that language.

The language, first found wins: ``--lang vi|en``, ``OCOPSYNC_LANG``, then the locale
(``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``: ``vi_VN.UTF-8`` is Vietnamese),
otherwise English. Typer reads ``--help`` texts at import time, so the command line
decides the language (:func:`language_from_argv`) before it imports its commands.

Keeping the catalog up to date needs Babel (``pip install -e ".[test]"``)::

    python -m ocopsync.i18n extract   # extract every _()/plural() message into the .po
    # ... translate the new (empty) msgstr entries in ocopsync/locale/vi/LC_MESSAGES/ocopsync.po
    python -m ocopsync.i18n compile   # write the .mo next to it (committed)

which is the same as ``pybabel extract -k _ -k N_ -k plural:1,2 -o ocopsync.pot ocopsync``,
``pybabel update -N -D ocopsync -i ocopsync.pot -d ocopsync/locale`` and
``pybabel compile -D ocopsync -d ocopsync/locale``. The test suite fails on a message
without a Vietnamese translation and on a .mo older than its .po.
"""

from __future__ import annotations

import functools
import gettext
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

DOMAIN = "ocopsync"
LANGUAGES = ("vi", "en")
DEFAULT = "en"
LOCALE_DIR = Path(__file__).parent / "locale"
PO_FILE = LOCALE_DIR / "vi" / "LC_MESSAGES" / f"{DOMAIN}.po"
MO_FILE = PO_FILE.with_suffix(".mo")
ENV = "OCOPSYNC_LANG"
KEYWORDS: dict[str, tuple[int, ...] | None] = {"_": None, "N_": None, "plural": (1, 2)}
"""The extraction keywords: ``_(message)``, ``N_(message)`` and ``plural(singular, plural, n)``."""


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog of one language (English has none: its messages are the ids)."""
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang], fallback=True)


class _State:
    lang: str = DEFAULT
    active: gettext.NullTranslations = gettext.NullTranslations()


_state = _State()


def set_language(lang: str) -> None:
    """Translate every message from now on into ``lang`` (``vi`` or ``en``)."""
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    _state.lang = lang
    _state.active = translations(lang)


def current_language() -> str:
    return _state.lang


def _(message: str) -> str:
    """``message`` in the current language (looked up now, so ``--lang`` applies)."""
    return _state.active.gettext(message)


def N_(message: str) -> str:  # gettext's name for it
    """Mark a message for the catalog without translating it yet (a table of column
    names read at import time, translated with ``_(name)`` when it is printed)."""
    return message


def plural(singular: str, plural: str, n: int) -> str:
    """The form of a counted message for ``n`` (Vietnamese has one form, English two)."""
    return _state.active.ngettext(singular, plural, n)


def language_from_locale(environ: Mapping[str, str] | None = None) -> str:
    """``vi`` when the locale is Vietnamese (``LANG=vi_VN.UTF-8``), else English.

    The first locale variable that is set decides, in the POSIX order gettext uses.
    """
    env = os.environ if environ is None else environ
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:
            first = value.split(":")[0].lower()
            return "vi" if first.startswith("vi") else "en"
    return DEFAULT


def resolve_language(option: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The language for a run: ``--lang`` if given, else ``OCOPSYNC_LANG``, else the locale.

    A value that is not a known language is refused with a message naming where it came
    from, so ``OCOPSYNC_LANG=vn`` is not silently English.
    """
    env = os.environ if environ is None else environ
    if option:
        chosen, source = option, "--lang"
    elif env.get(ENV):
        chosen, source = env[ENV], ENV
    else:
        return language_from_locale(env)
    chosen = chosen.strip().lower()
    if chosen not in LANGUAGES:
        raise ValueError(f"{source} must be one of {', '.join(LANGUAGES)}, not {chosen!r}")
    return chosen


_GLOBAL_WITH_VALUE = frozenset({"--lang", "--config", "-c"})


def language_from_argv(argv: Sequence[str] | None = None) -> str:
    """The language a command line asks for, read before Typer parses it (for ``--help``).

    Only the global ``--lang`` before the command counts (``ocopsync --lang vi plan``);
    anything unreadable falls back to the environment: Typer reports the bad value later.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    option: str | None = None
    i = 0
    while i < len(args) and args[i].startswith("-"):
        arg = args[i]
        if arg == "--lang" and i + 1 < len(args):
            option = args[i + 1]
        elif arg.startswith("--lang="):
            option = arg.split("=", 1)[1]
        # a global option's value is not the command: skip it
        i += 2 if arg in _GLOBAL_WITH_VALUE else 1
    # what follows the command is its own options (``report`` has a --lang of its own)
    try:
        return resolve_language(option)
    except ValueError:
        try:
            return resolve_language(None)
        except ValueError:
            return language_from_locale()


def format_number(value: int, lang: str | None = None) -> str:
    """``1.234`` in Vietnamese, ``1,234`` in English (dot or comma for thousands)."""
    text = f"{value:,d}"
    return text.replace(",", ".") if (lang or _state.lang) == "vi" else text


def format_percent(share: float | None, digits: int = 1, lang: str | None = None) -> str:
    """``40,7%`` in Vietnamese, ``40.7%`` in English (share is 0..1; ``–`` for none)."""
    if share is None:
        return "–"
    text = f"{share * 100:,.{digits}f}"
    if (lang or _state.lang) == "vi":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{text}%"


# -- maintaining the catalog (needs Babel, a test extra) -----------------------------------


def extract() -> Catalog:
    """Every ``_()`` and ``plural()`` message of the package, as a template catalog."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    template = Catalog(project=DOMAIN, domain=DOMAIN)
    package = Path(__file__).parent
    found = extract_from_dir(
        str(package), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()
    )
    for filename, lineno, message, comments, context in found:
        template.add(
            message,
            None,
            [(f"ocopsync/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )
    return template


def read_po(path: Path = PO_FILE) -> Catalog:
    from babel.messages.pofile import read_po as babel_read_po

    with path.open("rb") as handle:
        return babel_read_po(handle, locale="vi", domain=DOMAIN)


def update() -> int:
    """Merge the package's messages into the Vietnamese .po; returns how many lack one."""
    from babel.messages.pofile import write_po

    catalog = read_po()
    catalog.update(extract(), no_fuzzy_matching=True)
    with PO_FILE.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True, ignore_obsolete=True)
    return sum(1 for m in catalog if m.id and not m.string)


def compile_mo(target: Path = MO_FILE) -> Path:
    """Compile the Vietnamese .po into ``target`` (the shipped .mo by default)."""
    from babel.messages.mofile import write_mo

    with target.open("wb") as handle:
        write_mo(handle, read_po())
    return target


def _main(argv: Sequence[str]) -> int:
    command = argv[0] if argv else ""
    if command in ("extract", "update"):
        missing = update()
        print(f"{PO_FILE}: {missing} message(s) without a translation")
        return 1 if missing else 0
    if command == "compile":
        print(f"wrote {compile_mo()}")
        return 0
    print("usage: python -m ocopsync.i18n extract|compile", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
