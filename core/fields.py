"""Field kinds an ObjectType is declared with.

Each kind knows three things: its SQL column type, the Python type pydantic
validates input against, and how to describe itself. Plugins use them as
``from missionbase.core import fields as f; f.Text("name", max_length=80)``.
"""

from __future__ import annotations

import decimal
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .jsonable import to_jsonable

SYSTEM_FIELD_NAMES = frozenset(
    {
        "id",
        "owner_id",
        "created_at",
        "created_by",
        "modified_at",
        "modified_by",
        "version",
        "is_deleted",
        "deleted_at",
        "deleted_by",
    }
)
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
PHONE = re.compile(r"^\+?[0-9 ()./-]{3,40}(\s*(x|ext\.?)\s*[0-9]+)?$", re.IGNORECASE)
ON_DELETE_RULES = ("restrict", "cascade", "clear")
ANY_OBJECT = "*"


@dataclass(kw_only=True)
class Field:
    """A declared field. ``name`` is snake_case; the column has the same name."""

    kind: ClassVar[str] = "field"
    stored: ClassVar[bool] = True  # has a column; formulas are computed when read
    name: str
    label: str | None = None
    required: bool = False
    unique: bool = False
    default: Any = None
    help: str = ""
    indexed: bool = False
    # Computed fields (formulas, rollups, auto-numbers) are kept up to date by
    # code; users may read them but never write them.
    read_only: bool = False
    # Sensitive fields (health notes, legal names...) are hidden unless a
    # permission set grants them by name; other fields follow the object's access.
    sensitive: bool = False
    # Filled in by the registry: which plugin contributed the field.
    plugin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not FIELD_NAME.match(self.name):
            raise ValueError(
                f"field name {self.name!r} must be snake_case (a-z, 0-9, _), at most 63 characters"
            )
        if self.name in SYSTEM_FIELD_NAMES:
            raise ValueError(f"field name {self.name!r} is reserved for a system field")
        if self.label is None:
            self.label = self.name.replace("_", " ").capitalize()

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "label": self.label}
        for key in ("required", "unique", "read_only", "indexed", "sensitive"):
            if getattr(self, key):
                out[key] = True
        if self.default is not None:
            out["default"] = to_jsonable(self.default)
        if self.help:
            out["help"] = self.help
        out.update(self._describe_extra())
        out["plugin"] = self.plugin
        return out

    def _describe_extra(self) -> dict[str, Any]:
        return {}

    def summary(self) -> str:
        """A short human description of the kind, e.g. ``text(80)``."""
        return self.kind


@dataclass(kw_only=True)
class StringField(Field):
    max_length: int = 255

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_length < 1:
            raise ValueError(f"field {self.name!r}: max_length must be at least 1")

    def _describe_extra(self) -> dict[str, Any]:
        return {"max_length": self.max_length}

    def summary(self) -> str:
        return f"{self.kind}({self.max_length})"


def _positional(cls):
    """Let declarations read like a schema: ``Text("name", max_length=80)``."""
    original_init = cls.__init__

    def __init__(self, name, *args, **kwargs):
        for attr, value in zip(cls._positional_args, args, strict=False):
            kwargs[attr] = value
        original_init(self, name=name, **kwargs)

    cls.__init__ = __init__
    return cls


@_positional
@dataclass(kw_only=True)
class Text(StringField):
    kind = "text"
    # A regular expression the whole value must match, with the hint shown
    # when it does not (e.g. pattern=r"\d\d:\d\d", pattern_hint="HH:MM").
    pattern: str | None = None
    pattern_hint: str = ""
    _positional_args = ()

    def _describe_extra(self) -> dict[str, Any]:
        out = super()._describe_extra()
        if self.pattern:
            out["pattern"] = self.pattern
        return out


@_positional
@dataclass(kw_only=True)
class LongText(StringField):
    kind = "long_text"
    max_length: int = 131072
    _positional_args = ()


@_positional
@dataclass(kw_only=True)
class RichText(LongText):
    """HTML text, sanitised on write with nh3 (ammonia): scripts, styles, event handlers,
    ``javascript:`` links and every tag or attribute not allowed below never reach the table.

    Allowed by default (``RICH_TEXT_TAGS``): p br b strong i em u s code pre blockquote
    ul ol li h1-h6 a span; attributes: ``href`` and ``title`` on ``a`` (http, https and
    mailto links only). ``tags`` narrows or widens the list for one field.
    """

    kind = "rich_text"
    tags: frozenset[str] | None = None
    _positional_args = ()

    @property
    def allowed_tags(self) -> frozenset[str]:
        return frozenset(self.tags) if self.tags is not None else RICH_TEXT_TAGS

    def _describe_extra(self) -> dict[str, Any]:
        return {**super()._describe_extra(), "allowed_tags": sorted(self.allowed_tags)}


RICH_TEXT_TAGS = frozenset(
    {
        "p",
        "br",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "s",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "span",
    }
    | {f"h{n}" for n in range(1, 7)}
)
RICH_TEXT_ATTRIBUTES = {"a": {"href", "title"}}
RICH_TEXT_URL_SCHEMES = frozenset({"http", "https", "mailto"})


def sanitise_html(text: str | None, tags: frozenset[str] | None = None) -> str | None:
    """``text`` with only the allowed tags (``RICH_TEXT_TAGS`` by default) and safe links kept;
    the text of other tags stays, escaped; scripts and styles go with their content."""
    if text is None:
        return None
    import nh3  # only when rich text is written

    allowed = RICH_TEXT_TAGS if tags is None else frozenset(tags)
    return nh3.clean(
        text,
        tags=set(allowed),
        attributes={tag: attrs for tag, attrs in RICH_TEXT_ATTRIBUTES.items() if tag in allowed},
        url_schemes=set(RICH_TEXT_URL_SCHEMES),
        link_rel=None,
    ).strip()


@_positional
@dataclass(kw_only=True)
class TimeZone(StringField):
    """An IANA time zone name (``Europe/Paris``); anything else is refused with the closest names."""

    kind = "time_zone"
    max_length: int = 64
    _positional_args = ()


@_positional
@dataclass(kw_only=True)
class Email(StringField):
    kind = "email"
    max_length: int = 254
    _positional_args = ()


@_positional
@dataclass(kw_only=True)
class Phone(StringField):
    kind = "phone"
    max_length: int = 40
    _positional_args = ()


@_positional
@dataclass(kw_only=True)
class Url(StringField):
    kind = "url"
    max_length: int = 1024
    _positional_args = ()


@_positional
@dataclass(kw_only=True)
class Integer(Field):
    kind = "integer"
    min_value: int | None = None
    max_value: int | None = None
    _positional_args = ()

    def _describe_extra(self) -> dict[str, Any]:
        return {
            k: v for k, v in (("min_value", self.min_value), ("max_value", self.max_value)) if v is not None
        }


@_positional
@dataclass(kw_only=True)
class Decimal(Field):
    kind = "decimal"
    precision: int = 18
    scale: int = 2
    min_value: decimal.Decimal | int | None = None
    _positional_args = ("precision", "scale")

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.scale <= self.precision <= 38:
            raise ValueError(f"field {self.name!r}: need 0 <= scale <= precision <= 38")

    def _describe_extra(self) -> dict[str, Any]:
        return {"precision": self.precision, "scale": self.scale}

    def summary(self) -> str:
        return f"{self.kind}({self.precision},{self.scale})"


@_positional
@dataclass(kw_only=True)
class Currency(Decimal):
    kind = "currency"
    precision: int = 16
    scale: int = 2
    _positional_args = ("precision", "scale")


@_positional
@dataclass(kw_only=True)
class Percent(Decimal):
    kind = "percent"
    precision: int = 5
    scale: int = 2
    _positional_args = ("precision", "scale")


@_positional
@dataclass(kw_only=True)
class Boolean(Field):
    kind = "boolean"
    default: Any = False
    _positional_args = ()


@_positional
@dataclass(kw_only=True)
class Date(Field):
    kind = "date"
    _positional_args = ()


@_positional
@dataclass(kw_only=True)
class Datetime(Field):
    """Stored in UTC. Input without an offset is a wall-clock time of the acting user's zone
    (the org's when they have none); see ``missionbase.core.localtime`` for the DST rule."""

    kind = "datetime"
    _positional_args = ()


@_positional
@dataclass(kw_only=True)
class Picklist(Field):
    """A value from a list. Restricted lists reject other values; admins and
    plugins can extend the list (the registry's ``extend``)."""

    kind = "picklist"
    values: list[str] = field(default_factory=list)
    restricted: bool = True
    max_length: int = 255
    _positional_args = ("values",)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.values = list(self.values)
        if len(set(self.values)) != len(self.values):
            raise ValueError(f"field {self.name!r}: picklist values repeat")
        if self.default is not None and self.restricted and self.default not in self.values:
            raise ValueError(f"field {self.name!r}: default {self.default!r} is not one of its values")

    def _describe_extra(self) -> dict[str, Any]:
        return {"values": list(self.values), "restricted": self.restricted}


@_positional
@dataclass(kw_only=True)
class MultiPicklist(Picklist):
    """Several values from a list, stored ';'-separated (as Salesforce exports them)."""

    kind = "multi_picklist"
    max_length: int = 4000
    _positional_args = ("values",)


@_positional
@dataclass(kw_only=True)
class Lookup(Field):
    """A reference to another record; several targets make it polymorphic,
    and the target ``"*"`` accepts a record of any object (a Note's parent).

    ``on_delete`` says what deleting the target does to this record:
    ``restrict`` blocks the delete, ``cascade`` deletes this record too,
    ``clear`` empties the field.
    """

    kind = "lookup"
    targets: list[str] = field(default_factory=list)
    on_delete: str = "restrict"
    indexed: bool = True
    _positional_args = ("targets",)

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.targets, str):
            self.targets = [self.targets]
        self.targets = list(self.targets)
        if not self.targets:
            raise ValueError(f"lookup {self.name!r} needs at least one target object")
        if self.on_delete not in ON_DELETE_RULES:
            raise ValueError(
                f"lookup {self.name!r}: on_delete {self.on_delete!r} is not one of {', '.join(ON_DELETE_RULES)}"
            )
        if self.on_delete == "clear" and self.required:
            raise ValueError(f"lookup {self.name!r} is required, so on_delete cannot be 'clear'")

    @property
    def polymorphic(self) -> bool:
        return len(self.targets) > 1 or self.targets == [ANY_OBJECT]

    def _describe_extra(self) -> dict[str, Any]:
        return {"targets": list(self.targets), "on_delete": self.on_delete}

    def summary(self) -> str:
        return f"lookup({'|'.join(self.targets)})"


@_positional
@dataclass(kw_only=True)
class AutoNumber(Field):
    """A generated name such as ``EP-0001``: ``{0000}`` is the zero-padded counter."""

    kind = "auto_number"
    format: str = "{0000}"
    read_only: bool = True
    unique: bool = True
    _positional_args = ("format",)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not re.search(r"\{0+\}", self.format):
            raise ValueError(f"auto_number {self.name!r}: format needs a counter such as {{0000}}")

    def render(self, number: int) -> str:
        return re.sub(r"\{(0+)\}", lambda m: str(number).zfill(len(m.group(1))), self.format, count=1)

    def _describe_extra(self) -> dict[str, Any]:
        return {"format": self.format}


@_positional
@dataclass(kw_only=True)
class Formula(Field):
    """A value computed when a record is read, never stored (no column).

    ``result`` is the kind of the value: a field class (``Boolean``), a kind
    name (``"boolean"``) or a field instance carrying options
    (``Lookup("x", "Service")``). ``compute(record, session)`` gets the stored
    record (every column, hidden ones included, plus each dotted
    ``depends_on`` path such as ``"service.unit_of_measurement"``, read
    through a join that only opens records the viewer may read) and the
    viewer's session; it returns the value. ``depends_on`` names what
    ``compute`` reads: fields, system fields or ``lookup.field`` paths; they
    are fetched even when the caller asks for the formula alone.

    A formula cannot be filtered or sorted on unless it declares
    ``sql(table, session)``: a SQLAlchemy expression over ``table`` (the
    object's table or an alias of it) equal to what ``compute`` returns, e.g.
    ``lambda t, s: t.c.owner_id == s.user.id``. Field-level security applies
    as to any field.
    """

    kind = "formula"
    stored: ClassVar[bool] = False
    result: Any = None
    compute: Any = None
    depends_on: list[str] = field(default_factory=list)
    sql: Any = None
    read_only: bool = True
    _positional_args = ("result",)

    def __post_init__(self) -> None:
        super().__post_init__()
        result = self.result
        if isinstance(result, str):
            if result not in KINDS:
                raise ValueError(
                    f"formula {self.name!r}: result kind {result!r} is not one of {', '.join(KINDS)}"
                )
            result = KINDS[result]
        if isinstance(result, type) and issubclass(result, Field) and result is not Formula:
            result = result(self.name)
        if not isinstance(result, Field) or isinstance(result, Formula | AutoNumber):
            raise ValueError(
                f"formula {self.name!r}: result must be a field kind such as f.Boolean or 'text'"
            )
        result.name = self.name
        self.result = result
        if not callable(self.compute):
            raise ValueError(f"formula {self.name!r} needs compute=fn(record, session)")
        if self.sql is not None and not callable(self.sql):
            raise ValueError(f"formula {self.name!r}: sql must be fn(table, session) returning an expression")
        if self.required or self.unique or self.default is not None or self.indexed:
            raise ValueError(
                f"formula {self.name!r} is computed when read: it cannot be required, unique, "
                "indexed or have a default"
            )
        self.depends_on = list(self.depends_on)
        self.read_only = True

    @property
    def filterable(self) -> bool:
        return self.sql is not None

    def _describe_extra(self) -> dict[str, Any]:
        out = {"result": self.result.kind, "depends_on": list(self.depends_on), "filterable": self.filterable}
        # The result's options (length, targets...); a formula deletes nothing, so no on_delete rule.
        out.update(
            {k: v for k, v in self.result._describe_extra().items() if k not in out and k != "on_delete"}
        )
        return out

    def summary(self) -> str:
        return f"formula({self.result.summary()})"


def is_stored(fld: Field) -> bool:
    """Whether the field has a column (formulas are computed when read)."""
    return getattr(fld, "stored", True)


KINDS = {
    cls.kind: cls
    for cls in (
        Text,
        LongText,
        RichText,
        TimeZone,
        Email,
        Phone,
        Url,
        Integer,
        Decimal,
        Currency,
        Percent,
        Boolean,
        Date,
        Datetime,
        Picklist,
        MultiPicklist,
        Lookup,
        AutoNumber,
    )
}
