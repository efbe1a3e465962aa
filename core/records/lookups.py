"""Records by name: what people type where an id is expected, and what they read instead of ids.

A lookup value (a field, ``owner_id``, a filter on them, an import column)
may be the target's id or text that names it: its name field, one of its
unique text fields (a username, a client ID) or a field the object lists in
``match_fields`` (a user's email). Matching ignores case and surrounding
spaces. A lookup that can point at several objects takes ``Object:text``
(``Account:Acme``) to say which; a lookup to any object needs it.

Text that matches no record, or several, is an error naming them (with
their ids), never a guess. Only records the user can read are matched, so a
record they cannot see is never found, nor revealed by an error.

For display, ``record_names`` gives each id its record's name, or
``HIDDEN`` when the reader cannot see it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from .. import fields as f
from ..db import chunks
from ..errors import AccessDenied, MissionbaseError, ValidationError
from ..ids import ID_PATTERN
from ..registry import ObjectType
from .model import OWNER_OBJECTS, Scope

HIDDEN = "(hidden)"
LOOKS_LIKE_ID = re.compile(r"^[a-z][a-z0-9]{2}_[0-9A-Za-z]{10,}$")
USER_COLUMNS = ("created_by", "modified_by")  # system columns that hold a user id
MATCH_BATCH = 100  # names per query


def match_fields(obj: ObjectType) -> list[str]:
    """The fields a typed name is matched on: the name field, unique text fields, ``match_fields``."""
    names = [obj.name_field] if obj.name_field else []
    names += [
        fld.name
        for fld in obj.fields
        if fld.unique and f.is_stored(fld) and isinstance(fld, f.StringField | f.AutoNumber)
    ]
    names += list(getattr(obj, "match_fields", ()))
    return list(dict.fromkeys(n for n in names if obj.field(n) is not None and f.is_stored(obj.field(n))))


def is_record_id(value: Any) -> bool:
    return isinstance(value, str) and ID_PATTERN.match(value) is not None


def lookup_targets(registry, obj: ObjectType, name: str) -> list[str] | None:
    """The objects a lookup-like column of ``obj`` points at (None: it is not one)."""
    if name == "owner_id":
        return list(OWNER_OBJECTS)
    if name in USER_COLUMNS:
        return ["User"]
    fld = obj.field(name)
    if isinstance(fld, f.Formula):
        fld = fld.result
    if isinstance(fld, f.Lookup):
        return registry.lookup_target_names(fld) if f.ANY_OBJECT not in fld.targets else ["*"]
    return None


class LookupNames:
    """Name <-> id for one session's user, through reads that only see what they may read."""

    def __init__(self, scope: Scope, reader) -> None:
        self.registry = scope.registry
        self.rules = scope.input
        self.reader = reader

    # -- typed text -> ids ----------------------------------------------------------------
    def split_target(self, targets: list[str], text: str) -> tuple[list[str], str]:
        """``Account:Acme`` -> (["Account"], "Acme") when Account is a target; else (targets, text)."""
        head, sep, rest = text.partition(":")
        if sep and head.strip() in self.registry.objects and rest.strip():
            name = head.strip()
            if targets == ["*"] or name in targets:
                return [name], rest.strip()
        return targets, text.strip()

    def matches(self, targets: list[str], text: str, key: str | None = None) -> list[tuple[str, str, str]]:
        """Readable records ``text`` names: (object, id, label)."""
        return self.match_many(targets, [text], key).get(text, [])

    def match_many(
        self, targets: list[str], texts: Iterable[str], key: str | None = None
    ) -> dict[str, list[tuple[str, str, str]]]:
        """For each text, the readable records of ``targets`` it names (several queries per batch,
        never one per row)."""
        by_target: dict[tuple[str, ...], list[tuple[str, str]]] = defaultdict(list)
        for text in dict.fromkeys(texts):
            names, bare = self.split_target(targets, text)
            by_target[tuple(names)].append((text, bare))
        out: dict[str, list[tuple[str, str, str]]] = {}
        for names, pairs in by_target.items():
            for object_name in names:
                if object_name == "*":
                    continue
                obj = self.registry.object(object_name)
                keys = [key] if key else match_fields(obj)
                keys = [k for k in keys if self.reader.access.field_access(obj, k) != "hidden"]
                if not keys:
                    continue
                for chunk in chunks(pairs, MATCH_BATCH):
                    wanted: dict[str, list] = {bare.lower(): [] for _, bare in chunk}
                    condition = {"or": [{k: {"ieq": bare}} for _, bare in chunk for k in keys]}
                    try:
                        found = self.reader.query(obj, condition, fields=[*keys]).records
                    except AccessDenied:
                        continue
                    label_field = obj.name_field or keys[0]
                    for record in found:
                        for k in keys:
                            value = record.get(k)
                            if isinstance(value, str) and value.strip().lower() in wanted:
                                wanted[value.strip().lower()].append(
                                    (object_name, record["id"], str(record.get(label_field) or record["id"]))
                                )
                    for text, bare in chunk:
                        hits = out.setdefault(text, [])
                        for hit in wanted.get(bare.lower(), []):
                            if hit not in hits:
                                hits.append(hit)
        return out

    def resolve(self, targets: list[str], text: str, *, what: str, key: str | None = None) -> str:
        """The id of the one readable record ``text`` names; else ValidationError saying why."""
        problem, record_id = self.explain(targets, text, self.matches(targets, text, key), key)
        if problem:
            raise ValidationError(f"{what}: {problem}")
        return record_id

    def explain(
        self, targets: list[str], text: str, hits: list[tuple[str, str, str]], key: str | None
    ) -> tuple[str | None, str | None]:
        """(problem, None) when ``hits`` is not exactly one record, else (None, its id)."""
        names, bare = self.split_target(targets, text)
        if len(hits) == 1:
            return None, hits[0][1]
        label = " or ".join(names) if names != ["*"] else "record"
        if names == ["*"]:
            return (
                f"{text!r} is not a record id; this lookup can point at any object, so name one as "
                "Object:name (e.g. Account:Acme)",
                None,
            )
        if not hits:
            keys = [key] if key else sorted({k for n in names for k in match_fields(self.registry.object(n))})
            hint = self.suggestion(names, bare, key)
            return f"no {label} matches {bare!r} (by id or {', '.join(keys)}){hint}", None
        kinds = sorted({object_name for object_name, _, _ in hits})
        label = f"{kinds[0]} records" if len(kinds) == 1 else "records"
        listed = ", ".join(
            f"{name} ({record_id if len(kinds) == 1 else f'{object_name} {record_id}'})"
            for object_name, record_id, name in hits[:10]
        )
        more = f" and {len(hits) - 10} more" if len(hits) > 10 else ""
        return f"{bare!r} matches {len(hits)} {label}: {listed}{more}; give the id", None

    def suggestion(self, names: list[str], bare: str, key: str | None) -> str:
        """``; did you mean 'Ben Moreau'?`` among readable records (a few hundred at most are read)."""
        import difflib

        values: set[str] = set()
        for object_name in names:
            obj = self.registry.object(object_name)
            keys = [key] if key else match_fields(obj)
            keys = [k for k in keys if self.reader.access.field_access(obj, k) != "hidden"]
            if not keys:
                continue
            try:
                records = self.reader.query(obj, None, fields=keys, limit=500).records
            except (AccessDenied, MissionbaseError):
                continue
            values |= {str(r[k]) for r in records for k in keys if r.get(k)}
        close = difflib.get_close_matches(bare, sorted(values), n=3, cutoff=0.6)
        return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""

    def resolve_rows(self, obj: ObjectType, rows: list[dict], collect: bool) -> dict[int, str]:
        """Replace lookup text in ``rows`` by the ids it names; problems by row index.

        Without ``collect`` the first problem raises. With it, a row's bad value is
        left as is (validation then reports the rest of the row) and its problem returned.
        """
        problems: dict[int, list[str]] = defaultdict(list)
        columns = [(fld.name, lookup_targets(self.registry, obj, fld.name)) for fld in obj.lookups()]
        columns.append(("owner_id", list(OWNER_OBJECTS)))
        for name, targets in columns:
            texts: dict[str, list[int]] = defaultdict(list)
            for index, row in enumerate(rows):
                value = row.get(name) if isinstance(row, dict) else None
                if isinstance(value, str) and not ID_PATTERN.match(value) and value.strip():
                    texts[value].append(index)
            if not texts:
                continue
            key = self.rules.lookup_keys.get(name)
            found = self.match_many(targets, list(texts), key)
            for text, indexes in texts.items():
                problem, record_id = self.explain(targets, text, found.get(text, []), key)
                if problem is None:
                    for index in indexes:
                        rows[index][name] = record_id
                    continue
                if not collect:
                    raise ValidationError(problem, object_name=obj.name, row=indexes[0], field=name)
                for index in indexes:
                    problems[index].append(f"field {name!r}: {problem}")
        return {index: "; ".join(texts) for index, texts in problems.items()}

    # -- ids -> names ---------------------------------------------------------------------
    def names(self, ids: Iterable[str]) -> dict[str, str]:
        """Each record id's name as the reader sees it; ``HIDDEN`` for one they cannot read."""
        by_object: dict[str, list[str]] = defaultdict(list)
        for record_id in dict.fromkeys(ids):
            obj = self.registry.object_for_id(record_id) if is_record_id(record_id) else None
            if obj is not None:
                by_object[obj.name].append(record_id)
        out: dict[str, str] = {}
        for object_name, object_ids in by_object.items():
            obj = self.registry.object(object_name)
            label_field = obj.name_field
            if label_field is None or self.reader.access.field_access(obj, label_field) == "hidden":
                fields: list[str] = []
            else:
                fields = [label_field]
            for chunk in chunks(object_ids):
                try:
                    found = self.reader.query(obj, {"id": {"in": chunk}}, fields=fields or ["id"]).records
                except AccessDenied:
                    found = []
                seen = {r["id"]: str(r.get(label_field) or r["id"]) if fields else r["id"] for r in found}
                for record_id in chunk:
                    out[record_id] = seen.get(record_id, HIDDEN)
        return out


def split_record_specs(specs: Iterable[str]) -> list[str]:
    """``--target`` values as one text each: commas separate; spaces separate only ids (a name
    such as ``Homework Club`` keeps its spaces)."""
    parts = []
    for spec in specs:
        for part in str(spec).split(","):
            words = part.split()
            if len(words) > 1 and all(ID_PATTERN.match(w) for w in words):
                parts += words
            elif part.strip():
                parts.append(part.strip())
    return parts


def resolve_records(
    session, specs: Iterable[str], object_names: Iterable[str] | None = None, *, what: str = "--target"
) -> list[str]:
    """The record ids that ``specs`` name, in order: ids as they are, other text as the name of
    one readable record of ``object_names`` (default: every plan target type), ``Object:name``
    to say which object. Text naming no record or several is one error naming them."""
    names = list(object_names) if object_names is not None else list(session.registry.target_types)
    out = []
    for text in split_record_specs(specs):
        if ID_PATTERN.match(text):
            out.append(text)
        elif LOOKS_LIKE_ID.match(text) and session.registry.object_for_id(text[:3] + "_" + "0" * 26):
            raise ValidationError(
                f"{what}: {text!r} is not a record id (an id is {text[:4]} and 26 characters)"
            )
        else:
            out.append(session.lookup_names.resolve(names, text, what=what))
    return out
