"""docs/plugins.md covers every hook, declaration class and field kind (datasette checks its hooks the same way).

A hook, declaration or field kind an author cannot read about is one they
will not find; these tests fail when one is added without its section.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from missionbase.core import fields as f
from missionbase.core import hookspecs
from missionbase.core.registry import DECLARATION_KINDS

DOC = (Path(__file__).resolve().parents[1] / "docs" / "plugins.md").read_text(encoding="utf-8")
HEADINGS = re.findall(r"^#{2,4} (.+)$", DOC, flags=re.MULTILINE)
HOOKS = sorted(name for name in vars(hookspecs) if name.startswith("missionbase_"))
FIELD_KINDS = sorted(
    name
    for name, value in vars(f).items()
    if inspect.isclass(value) and issubclass(value, f.Field) and value is not f.Field
)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_heading_and_its_signature(hook):
    assert hook in HEADINGS, f"docs/plugins.md has no '### {hook}' section"
    parameters = ", ".join(
        f"{name}: {p.annotation}"
        for name, p in inspect.signature(getattr(hookspecs, hook)).parameters.items()
    )
    returns = inspect.signature(getattr(hookspecs, hook)).return_annotation
    assert f"`{hook}({parameters}) -> {returns}`" in DOC, (
        f"{hook}: the documented signature is not the hookspec's"
    )


@pytest.mark.parametrize("declaration", ["ObjectType", *sorted(k.__name__ for k in DECLARATION_KINDS)])
def test_every_declaration_class_is_described(declaration):
    assert any(declaration in heading for heading in HEADINGS), f"no section describes {declaration}"


@pytest.mark.parametrize("kind", FIELD_KINDS)
def test_every_field_kind_is_in_the_table(kind):
    assert f"f.{kind}(" in DOC or f"`{kind}`" in DOC, f"field kind {kind} is missing from docs/plugins.md"


def test_the_sections_an_author_needs_are_there():
    for section in ("Triggers", "Demo data", "Migrations", "Testing", "Command line"):
        assert section in HEADINGS
