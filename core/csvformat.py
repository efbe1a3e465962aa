"""CSV files as spreadsheets write them: encodings, delimiters and headers people use.

- Encoding: UTF-8 with or without a byte-order mark by default; ``latin-1``
  (read as Windows-1252, its superset that Excel writes) or any Python codec
  name on request. A file not valid in its encoding is one error naming the
  line and the byte, found before anything is imported.
- Delimiter: ``,`` ``;`` or tab, sniffed from the first lines (``;`` is what a
  French Excel writes), unless given.
- Header: each column is a field name or a field label (``First name``), any
  case, spaces around ignored; a mapping (``Prénom=first_name``) names the
  others.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable
from pathlib import Path

from .errors import UnknownName, ValidationError

DELIMITERS = {",": ",", ";": ";", "tab": "\t", "\\t": "\t", "\t": "\t", "|": "|"}
SNIFF_CHARS = 64 * 1024
# What people call the encodings they have; latin-1 files from Windows are really cp1252.
ENCODING_NAMES = {
    "utf-8": "utf-8-sig",
    "utf8": "utf-8-sig",
    "utf-8-sig": "utf-8-sig",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "iso-8859-1": "cp1252",
    "windows-1252": "cp1252",
    "cp1252": "cp1252",
}


def codec_for(encoding: str | None) -> str:
    """The Python codec an ``--encoding`` name stands for (UTF-8, BOM or not, by default)."""
    if not encoding:
        return "utf-8-sig"
    name = ENCODING_NAMES.get(encoding.strip().lower())
    if name:
        return name
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ValidationError(
            f"unknown encoding {encoding!r}; use utf-8 (the default), latin-1 (Windows/Excel Western) "
            "or another Python codec name"
        ) from None


def delimiter_for(delimiter: str | None) -> str | None:
    """The character a ``--delimiter`` value stands for (None: sniff it)."""
    if delimiter is None:
        return None
    found = DELIMITERS.get(delimiter) or (delimiter if len(delimiter) == 1 else None)
    if found is None or found in '"\r\n':
        raise ValidationError(f"--delimiter {delimiter!r} is not one character; use ',', ';' or tab")
    return found


def check_encoding(path: Path, codec: str, chunk_size: int = 1 << 20) -> None:
    """Decode the whole file once; the first byte that does not decode is one error naming its line."""
    decoder = codecs.getincrementaldecoder(codec)()
    line, offset = 1, 0
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(chunk_size)
            final = not chunk
            try:
                decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                # exc.start counts from the bytes the decoder still held (at most a few) plus this chunk.
                held = len(exc.object) - len(chunk)
                position = max(0, exc.start - held)
                lines_before = chunk[:position].count(b"\n")
                bad = exc.object[exc.start : exc.start + 1]
                raise ValidationError(
                    f"{path.name} line {line + lines_before}: byte 0x{bad.hex().upper()} "
                    f"(byte {offset + position + 1} of the file) is not valid {_codec_label(codec)}; "
                    + (
                        "pass --encoding latin-1 if a Windows program (Excel) saved it"
                        if codec.startswith("utf")
                        else "pass the file's encoding with --encoding"
                    )
                ) from None
            if final:
                return
            line += chunk.count(b"\n")
            offset += len(chunk)


def _codec_label(codec: str) -> str:
    return {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "cp1252": "latin-1 (Windows-1252)"}.get(codec, codec)


def sniff_delimiter(sample: str) -> str:
    """``,`` ``;`` or tab, whichever the first lines use consistently (``,`` when unsure)."""
    lines = [line for line in sample.splitlines() if line.strip()][:20]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t").delimiter
    except csv.Error:
        pass
    counts = {d: lines[0].count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def header_names(
    obj, header: list[str], mapping: dict[str, str] | None = None, *, extra: Iterable[str] = ()
) -> list[str]:
    """The field each column holds: a ``mapping`` entry, else the field whose name or label the
    column is (any case, spaces trimmed); an unknown column is kept as written (refused later)."""
    mapping = {k.strip().lower(): v.strip() for k, v in (mapping or {}).items()}
    by_name = {fld.name.lower(): fld.name for fld in obj.fields}
    by_name.update({name.lower(): name for name in extra})
    by_label = {}
    for fld in obj.fields:
        by_label.setdefault((fld.label or "").strip().lower(), fld.name)
    out = []
    for column in header:
        key = column.strip().lower()
        if key in mapping:
            out.append(mapping[key])
        elif key in by_name:
            out.append(by_name[key])
        elif key in by_label:
            out.append(by_label[key])
        elif key.replace(" ", "_") in by_name:
            out.append(by_name[key.replace(" ", "_")])
        else:
            out.append(column.strip())
    return out


def parse_mapping(pairs: Iterable[str], path: str | None = None) -> dict[str, str]:
    """``--map "Prénom=first_name,Nom=last_name"`` (repeatable) and/or a mapping file: JSON
    ``{"Prénom": "first_name"}`` or lines ``Prénom=first_name`` (a CSV with two columns works too)."""
    out: dict[str, str] = {}
    texts: list[tuple[str, str]] = []
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise ValidationError(f"mapping file {path} does not exist") from None
        except UnicodeDecodeError:
            raise ValidationError(f"mapping file {path} is not UTF-8") from None
        if text.lstrip().startswith("{"):
            import json

            try:
                loaded = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValidationError(f"mapping file {path} is not valid JSON ({exc})") from None
            if not isinstance(loaded, dict) or not all(isinstance(v, str) for v in loaded.values()):
                raise ValidationError(f"mapping file {path} must map column names to field names")
            out.update({str(k).strip(): v.strip() for k, v in loaded.items()})
        else:
            for number, line in enumerate(text.splitlines(), start=1):
                if line.strip() and not line.lstrip().startswith("#"):
                    texts.append((f"{path} line {number}", line))
    for pair in pairs:
        texts += [("--map", part) for part in _split_pairs(pair)]
    for where, entry in texts:
        column, sep, field = entry.partition("=")
        if not sep:
            for delimiter in (",", ";", "\t"):
                column, sep, field = entry.partition(delimiter)
                if sep:
                    break
        if not sep or not column.strip() or not field.strip():
            raise ValidationError(f"{where}: {entry.strip()!r} must look like Column=field")
        out[column.strip()] = field.strip()
    return out


def _split_pairs(text: str) -> list[str]:
    """``A=b,C=d`` as entries; a column name may itself hold commas if quoted (``"Nom, prénom"=x``)."""
    return [part for part in next(csv.reader(io.StringIO(text))) if part.strip()] if text.strip() else []


def parse_lookup_keys(pairs: Iterable[str], obj, registry) -> dict[str, str]:
    """``--lookup account=name``: the target field names in that column are matched on."""
    from . import fields as f

    out = {}
    for pair in pairs:
        for part in _split_pairs(pair):
            column, sep, key = part.partition("=")
            column, key = column.strip(), key.strip()
            fld = obj.field(column)
            if not sep or not key:
                raise ValidationError(
                    f"--lookup {part!r} must look like field=target_field, e.g. account=name"
                )
            if column != "owner_id" and not isinstance(fld, f.Lookup):
                lookups = [lf.name for lf in obj.lookups()] + ["owner_id"]
                raise ValidationError(str(UnknownName("lookup field", column, lookups, where=obj.name)))
            targets = ["User", "Queue"] if column == "owner_id" else registry.lookup_target_names(fld)
            if not any(registry.objects[t].field(key) is not None for t in targets):
                fields = sorted({n for t in targets for n in registry.objects[t].field_names})
                raise ValidationError(
                    f"--lookup {part!r}: "
                    + str(UnknownName("field", key, fields, where=" or ".join(targets)))
                )
            out[column] = key
    return out
