"""Dates, numbers and yes/no words as people type them in their locale (imports).

ISO and machine forms are always read first and always mean the same, so
what ``export`` writes imports back under any locale: ``2026-12-03``,
``1234.50``, ``true``. Other text is read in the org's locale (``locale`` in
missionbase.toml), with CLDR's data through Babel:

- dates in the locale's short order: ``03/12/2026`` is 3 December in ``fr``
  and March 12 in ``en_US``; ``--date-format DD/MM/YYYY`` (or ``%d/%m/%Y``)
  forces one;
- date-times as a date, a space and ``HH:MM[:SS]`` (``14h30`` in French);
- numbers with the locale's separators: ``1 234,50`` in ``fr`` (a plain space
  stands for the narrow no-break space CLDR uses), ``1.234,50`` in ``de``; a
  number with only a point and digits (``1.234``) is the machine form, 1.234;
- yes/no: ``yes no true false 1 0 y n on off`` in every locale, plus the
  locale's own words (``oui non vrai faux`` in French...).
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import re
from dataclasses import dataclass

MACHINE_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LOCAL_DATE = re.compile(r"^\d{1,4}([./-])\d{1,2}\1\d{1,4}$")
LOCAL_TIME = re.compile(r"^(\d{1,2})[:hH](\d{2})(?::(\d{2}))?$")
SPACES = ("\u00a0", "\u202f", " ")

TRUE_WORDS = {"true", "yes", "y", "on", "1", "t"}
FALSE_WORDS = {"false", "no", "n", "off", "0", "f"}
# The locale's own words for yes and no (by language), beside the English ones every locale takes.
LOCAL_BOOLEANS: dict[str, tuple[set[str], set[str]]] = {
    "fr": ({"oui", "vrai"}, {"non", "faux"}),
    "de": ({"ja", "wahr"}, {"nein", "falsch"}),
    "es": ({"sí", "si", "verdadero"}, {"no", "falso"}),
    "it": ({"sì", "si", "vero"}, {"no", "falso"}),
    "pt": ({"sim", "verdadeiro"}, {"não", "nao", "falso"}),
    "nl": ({"ja", "waar"}, {"nee", "onwaar"}),
}
DATE_TOKENS = (
    ("YYYY", "%Y"),
    ("YY", "%y"),
    ("DD", "%d"),
    ("MM", "%m"),
    ("HH", "%H"),
    ("mm", "%M"),
    ("ss", "%S"),
)


def check_locale(name: str) -> str:
    """``name`` if Babel knows the locale (``fr``, ``fr_FR``, ``en-US``); else ValueError with close names."""
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(name.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        import difflib

        from babel.localedata import locale_identifiers

        close = difflib.get_close_matches(name.replace("-", "_"), locale_identifiers(), n=3, cutoff=0.6)
        hint = (
            f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else " (e.g. 'fr' or 'en_US')"
        )
        raise ValueError(f"{name!r} is not a known locale{hint}") from None
    return name


def strftime_format(date_format: str) -> str:
    """``DD/MM/YYYY`` (or a strftime format as is) as a strftime format."""
    if "%" in date_format:
        return date_format
    out = date_format
    for token, directive in DATE_TOKENS:
        out = out.replace(token, directive)
    return out


@dataclass(frozen=True)
class LocaleFormats:
    """How text typed in one locale (and optionally one date format) becomes values."""

    locale: str
    date_format: str | None = None

    @functools.cached_property
    def _babel(self):
        from babel import Locale

        return Locale.parse(self.locale.replace("-", "_"))

    @functools.cached_property
    def date_hint(self) -> str:
        """How a date is written here, for messages: ``DD/MM/YYYY``."""
        if self.date_format:
            return self.date_format
        pattern = self._babel.date_formats["short"].pattern
        hint = re.sub(r"d+", "DD", pattern)
        hint = re.sub(r"M+", "MM", hint)
        return re.sub(r"y+", "YYYY", hint)

    @functools.cached_property
    def _symbols(self) -> tuple[str, str]:
        from babel.numbers import get_decimal_symbol, get_group_symbol

        return get_group_symbol(self._babel), get_decimal_symbol(self._babel)

    @functools.cached_property
    def _booleans(self) -> tuple[set[str], set[str]]:
        yes, no = LOCAL_BOOLEANS.get(self._babel.language, (set(), set()))
        return TRUE_WORDS | yes, FALSE_WORDS | no

    @functools.cached_property
    def boolean_hint(self) -> str:
        yes, no = LOCAL_BOOLEANS.get(self._babel.language, (set(), set()))
        local = [f"{sorted(yes, key=len)[0]}/{sorted(no, key=len)[0]}"] if yes else []
        return ", ".join([*local, "yes/no", "true/false", "1/0"])

    # -- values -----------------------------------------------------------------------
    def date(self, text: str) -> dt.date:
        value = text.strip()
        if ISO_DATE.match(value):
            return dt.date.fromisoformat(value)
        try:
            if self.date_format:
                return dt.datetime.strptime(value, strftime_format(self.date_format)).date()
            if LOCAL_DATE.match(value):
                from babel.dates import parse_date

                return parse_date(value, locale=self._babel, format="short")
        except (ValueError, IndexError):
            pass
        raise ValueError(f"{text!r} is not a date (expected {self.date_hint} or YYYY-MM-DD)")

    def datetime(self, text: str) -> dt.datetime:
        """A naive (local) or aware date-time; the caller applies the user's zone."""
        value = text.strip()
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            pass
        if self.date_format and "%H" in strftime_format(self.date_format):
            try:
                return dt.datetime.strptime(value, strftime_format(self.date_format))
            except ValueError:
                pass
        else:
            day_text, _, time_text = value.partition(" ")
            time_match = LOCAL_TIME.match(time_text.strip()) if time_text.strip() else None
            try:
                day = self.date(day_text)
                if time_match:
                    hour, minute, second = (int(g or 0) for g in time_match.groups())
                    return dt.datetime.combine(day, dt.time(hour, minute, second))
                if not time_text.strip():
                    return dt.datetime.combine(day, dt.time())
            except ValueError:
                pass
        raise ValueError(
            f"{text!r} is not a date-time (expected {self.date_hint} HH:MM, or 2026-12-03T09:15)"
        )

    def number(self, text: str) -> str | decimal.Decimal:
        """The machine form as is (pydantic reads it), else the locale's form as a Decimal."""
        value = text.strip()
        if MACHINE_NUMBER.match(value):
            return value
        from babel.numbers import NumberFormatError, parse_decimal

        group, decimal_sign = self._symbols
        normalised = value
        if group in SPACES:
            for space in SPACES:
                normalised = normalised.replace(space, group)
        try:
            return parse_decimal(normalised, locale=self._babel, strict=True)
        except (NumberFormatError, decimal.InvalidOperation, ValueError):
            example = f"1{group if group not in SPACES else ' '}234{decimal_sign}50"
            raise ValueError(f"{text!r} is not a number (expected e.g. {example} or 1234.50)") from None

    def boolean(self, text: str) -> bool:
        word = text.strip().lower()
        yes, no = self._booleans
        if word in yes:
            return True
        if word in no:
            return False
        raise ValueError(f"{text!r} is not yes or no (expected {self.boolean_hint})")


@functools.cache
def formats_for(locale: str, date_format: str | None = None) -> LocaleFormats:
    return LocaleFormats(locale, date_format)
