"""Input validation built from the registry with pydantic.

One ``TypeAdapter`` per object validates a whole batch in pydantic-core
(no Python loop per row), coercing text input as an import needs ("12" ->
12, "2024-05-01" -> date, "yes" -> True). Errors come back with the row
index and field; every error of a row is kept, joined into one line.

What text means depends on who typed it: the ``InputRules`` of the call
(passed as pydantic's validation context) give the user's time zone, for
date-times without an offset, and for imports the org's locale formats
(``03/12/2026``, ``1 234,50``, ``oui``) beside the ISO forms.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal, NotRequired

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    TypeAdapter,
    ValidationInfo,
    with_config,
)
from pydantic import Field as PydanticField
from pydantic import ValidationError as PydanticValidationError
from typing_extensions import TypedDict

from . import fields as f
from .errors import ValidationError
from .ids import ID_PATTERN
from .localtime import NonexistentTime, check_zone_name, to_utc

if TYPE_CHECKING:
    from .localeformats import LocaleFormats

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


@dataclass
class InputRules:
    """How the text of one call is read: the acting user's zone for date-times without an
    offset, and (imports) the locale's formats for dates, numbers and yes/no words.
    ``lookup_keys`` names, per lookup field, the target field a name is matched on
    (``--lookup account=name``); by default the target's name and unique fields."""

    zone: dt.tzinfo = dt.UTC
    formats: LocaleFormats | None = None
    lookup_keys: dict[str, str] = field(default_factory=dict)


DEFAULT_RULES = InputRules()


def _rules(info: ValidationInfo) -> InputRules:
    context = info.context
    return context if isinstance(context, InputRules) else DEFAULT_RULES


def _pattern_check(regex: re.Pattern, message: str):
    def check(value: str) -> str:
        if not regex.match(value):
            raise ValueError(message)
        return value

    return AfterValidator(check)


def _to_utc(value: dt.datetime, info: ValidationInfo) -> dt.datetime:
    """Naive input is a wall-clock time of the user's zone; aware input is converted to UTC."""
    try:
        if value.tzinfo is None:
            return to_utc(value, _rules(info).zone)
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("is out of range: date-times run from year 1 to 9999 in UTC") from None


def _locale_reader(method: str):
    """A before-validator reading text in the call's locale formats (imports); other input as is."""

    def read(value: Any, info: ValidationInfo) -> Any:
        if type(value) is str:
            formats = _rules(info).formats
            if formats is not None:
                return getattr(formats, method)(value)
        return value

    return BeforeValidator(read)


def _time_zone_check(value: str) -> str:
    return check_zone_name(value.strip())


def _rich_text(tags: frozenset[str]):
    def clean(value: str) -> str:
        return f.sanitise_html(value, tags)

    return AfterValidator(clean)


def _split_multi(value: Any) -> Any:
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    return value


def _join_multi(values: list[str]) -> str:
    return ";".join(dict.fromkeys(values))


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _lookup_check(prefixes: frozenset[str] | None, target_label: str):
    def check(value: str) -> str:
        match = ID_PATTERN.match(value)
        if not match:
            expected = (
                "a record id like con_01J..."
                if prefixes is None
                else f"the id of {_article(target_label)} {target_label} record"
            )
            raise ValueError(f"is not a record id (expected {expected})")
        if prefixes is not None and match.group(1) not in prefixes:
            raise ValueError(f"must be the id of {_article(target_label)} {target_label} record")
        return value

    return AfterValidator(check)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character (\\x00), which text cannot hold")
    return value


def annotation_for(fld: f.Field, lookup_prefixes: dict[str, str]) -> Any:
    """The pydantic type of one field's value (without None)."""
    annotation = _value_type(fld, lookup_prefixes)
    # PostgreSQL refuses NUL in text; refuse it on every engine, as a validation error.
    if isinstance(fld, f.StringField) or (
        isinstance(fld, f.Picklist) and not (fld.restricted and fld.values)
    ):
        return Annotated[annotation, AfterValidator(_no_nul)]
    return annotation


def _value_type(fld: f.Field, lookup_prefixes: dict[str, str]) -> Any:
    if isinstance(fld, f.MultiPicklist):
        item = Literal[tuple(fld.values)] if fld.restricted and fld.values else str
        return Annotated[list[item], BeforeValidator(_split_multi), AfterValidator(_join_multi)]
    if isinstance(fld, f.Picklist):
        if fld.restricted and fld.values:
            return Literal[tuple(fld.values)]
        return Annotated[str, StringConstraints(max_length=fld.max_length)]
    if isinstance(fld, f.Email):
        return Annotated[
            str,
            StringConstraints(strip_whitespace=True, max_length=fld.max_length),
            _pattern_check(f.EMAIL, "is not a valid email address"),
        ]
    if isinstance(fld, f.Url):
        return Annotated[
            str,
            StringConstraints(strip_whitespace=True, max_length=fld.max_length),
            _pattern_check(f.URL, "is not a valid http(s) URL"),
        ]
    if isinstance(fld, f.Phone):
        return Annotated[
            str,
            StringConstraints(strip_whitespace=True, max_length=fld.max_length),
            _pattern_check(f.PHONE, "is not a valid phone number (digits, spaces, + ( ) . / - and ext)"),
        ]
    if isinstance(fld, f.TimeZone):
        return Annotated[str, StringConstraints(max_length=fld.max_length), AfterValidator(_time_zone_check)]
    if isinstance(fld, f.RichText):
        return Annotated[str, StringConstraints(max_length=fld.max_length), _rich_text(fld.allowed_tags)]
    if isinstance(fld, f.Text) and fld.pattern:
        hint = f" ({fld.pattern_hint})" if fld.pattern_hint else f" (pattern {fld.pattern})"
        return Annotated[
            str,
            StringConstraints(max_length=fld.max_length),
            _pattern_check(re.compile(f"^(?:{fld.pattern})$"), "has the wrong format" + hint),
        ]
    if isinstance(fld, f.StringField | f.AutoNumber):
        return Annotated[str, StringConstraints(max_length=getattr(fld, "max_length", 80))]
    if isinstance(fld, f.Integer):
        # Columns are 64-bit (BIGINT): a larger number is a validation error, not a database error.
        low = INT64_MIN if fld.min_value is None else max(fld.min_value, INT64_MIN)
        high = INT64_MAX if fld.max_value is None else min(fld.max_value, INT64_MAX)
        return Annotated[int, PydanticField(ge=low, le=high), _locale_reader("number")]
    if isinstance(fld, f.Decimal):
        return Annotated[
            decimal.Decimal,
            PydanticField(max_digits=fld.precision, decimal_places=fld.scale, ge=fld.min_value),
            _locale_reader("number"),
        ]
    if isinstance(fld, f.Boolean):
        return Annotated[bool, _locale_reader("boolean")]
    if isinstance(fld, f.Datetime):
        return Annotated[dt.datetime, AfterValidator(_to_utc), _locale_reader("datetime")]
    if isinstance(fld, f.Date):
        return Annotated[dt.date, _locale_reader("date")]
    if isinstance(fld, f.Lookup):
        if f.ANY_OBJECT in fld.targets:
            return Annotated[str, _lookup_check(None, "any")]
        prefixes = frozenset(lookup_prefixes[t] for t in fld.targets)
        return Annotated[str, _lookup_check(prefixes, " or ".join(fld.targets))]
    raise TypeError(f"no validator for field kind {fld.kind}")


class ObjectValidator:
    """Validates batches of input rows for one object."""

    def __init__(self, obj, lookup_prefixes: dict[str, str]) -> None:
        self.obj = obj
        writable = [fld for fld in obj.fields if not fld.read_only]
        self.writable_names = frozenset(fld.name for fld in writable)
        self.all_names = frozenset(obj.field_names)
        annotations = {
            fld.name: NotRequired[annotation_for(fld, lookup_prefixes) | None]
            for fld in obj.fields
            if f.is_stored(fld)
        }
        row_type = with_config(ConfigDict(extra="ignore"))(TypedDict(f"{obj.name}Input", annotations))
        self.batch_adapter = TypeAdapter(list[row_type])
        # A formula is never written; its result kind validates filter values.
        self.value_adapters = {
            fld.name: TypeAdapter(annotation_for(fld if f.is_stored(fld) else fld.result, lookup_prefixes))
            for fld in obj.fields
        }

    def validate_batch(
        self, rows: list[dict], *, collect: bool = False, rules: InputRules | None = None
    ) -> tuple[list[dict], dict[int, str]]:
        """Validated rows, and (with ``collect``) errors by row index instead of raising."""
        context = rules or DEFAULT_RULES
        try:
            return self.batch_adapter.validate_python(rows, context=context), {}
        except PydanticValidationError as exc:
            errors = _row_errors(self.obj.name, exc)
            if not collect:
                raise _as_error(self.obj.name, exc, errors) from None
        good_rows = []
        for index, row in enumerate(rows):
            if index not in errors:
                good_rows.append(self.batch_adapter.validate_python([row], context=context)[0])
        return good_rows, errors

    def validate_value(self, field_name: str, value: Any, rules: InputRules | None = None) -> Any:
        """One filter value, coerced like input (for query parameters)."""
        try:
            return self.value_adapters[field_name].validate_python(value, context=rules or DEFAULT_RULES)
        except PydanticValidationError as exc:
            err = exc.errors()[0]
            raise ValidationError(
                field_error(None, _message(err), None if _ours(err) else value),
                object_name=self.obj.name,
                field=field_name,
            ) from None


def _ours(err: dict) -> bool:
    """A message that already shows the value it refuses (a local time the clocks skip)."""
    return isinstance((err.get("ctx") or {}).get("error"), NonexistentTime)


def _message(err: dict) -> str:
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    msg = msg.replace("Input should be", "should be").replace("String should have", "should have")
    return msg


def _row_errors(object_name: str, exc: PydanticValidationError) -> dict[int, str]:
    """Every error of each row, one line per row ("field 'a': ...; field 'b': ...")."""
    found: dict[int, dict[Any, str]] = {}
    for err in exc.errors():
        loc = err["loc"]
        row = loc[0] if loc and isinstance(loc[0], int) else 0
        field = loc[1] if len(loc) > 1 else None
        texts = found.setdefault(row, {})
        if field in texts:
            continue  # a union's alternatives (a value and None) both fail: one line is enough
        texts[field] = field_error(field, _message(err), None if _ours(err) else err.get("input"))
    return {row: "; ".join(texts.values()) for row, texts in found.items()}


def field_error(field: Any, message: str, value: Any = None) -> str:
    """One error of a row as imports report it: ``field 'email': is not valid (got 'x')``."""
    shown = repr(value) if isinstance(value, str) else str(value)
    got = "" if value is None or shown in message or str(value) in message else f" (got {shown})"
    return f"field {field!r}: {message}{got}" if field else f"{message}{got}"


def _as_error(object_name: str, exc: PydanticValidationError, errors: dict[int, str]) -> ValidationError:
    err = exc.errors()[0]
    loc = err["loc"]
    row = loc[0] if loc and isinstance(loc[0], int) else None
    field = str(loc[1]) if len(loc) > 1 else None
    message = _message(err)
    if not _ours(err) and repr(err.get("input")) not in message:
        message += f" (got {err.get('input')!r})"
    if len(errors) > 1:
        message += f"; {len(errors) - 1} more row(s) have errors"
    return ValidationError(message, object_name=object_name, row=row, field=field)
