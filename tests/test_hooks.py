"""Hook hygiene: every hookspec is documented, called by core and exercised by a test.

A hook nobody calls is dead API a plugin author would implement in vain; a
hook no test implements can break without anyone noticing.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from missionbase.core import hookspecs

CORE = Path(hookspecs.__file__).resolve().parent
TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent

HOOKS = sorted(
    name
    for name, value in vars(hookspecs).items()
    if name.startswith("missionbase_") and callable(value) and hasattr(value, "missionbase_spec")
)


def sources(*roots: Path) -> dict[Path, str]:
    return {
        path: path.read_text(encoding="utf-8")
        for root in roots
        if root.is_dir()
        for path in sorted(root.rglob("*.py"))
        if ".venv" not in path.parts
    }


CORE_SOURCES = {
    path: text for path, text in sources(CORE).items() if path != Path(hookspecs.__file__).resolve()
}
# Core tests, and each plugin's own tests. This file names every hook through
# HOOKS, so it does not count as exercising any.
TEST_SOURCES = {
    path: text
    for path, text in sources(TESTS, REPO / "plugins").items()
    if path != Path(__file__).resolve() and ("tests" in path.parts or path.name.startswith("test_"))
}


def calls(hook: str, text: str) -> bool:
    """The hook named as a string (``call_hook("missionbase_x", ...)``) or reached as ``pm.hook.missionbase_x``."""
    return bool(re.search(rf"""(["']){hook}\1|\.hook\.{hook}\b""", text))


def test_the_documented_hooks_exist():
    expected = {
        "missionbase_register_objects",
        "missionbase_register_target_types",
        "missionbase_register_permission_sets",
        "missionbase_register_triggers",
        "missionbase_register_jobs",
        "missionbase_register_commands",
        "missionbase_register_reports",
        "missionbase_load_demo_data",
    }
    assert expected <= set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_hookspec_has_a_docstring_and_documented_signature(hook):
    spec = getattr(hookspecs, hook)
    doc = inspect.getdoc(spec) or ""
    assert len(doc.split()) >= 8, f"{hook} needs a docstring saying what it is for"
    for argument in inspect.signature(spec).parameters:
        assert argument in doc, f"{hook}: the docstring does not say what {argument!r} is"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_called_by_core(hook):
    # core/objects implements some hooks too; an implementation (def ...) is not a call.
    callers = [path for path, text in CORE_SOURCES.items() if calls(hook, text)]
    assert callers, f"no core module calls {hook}: a plugin implementing it would never run"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_exercised_by_a_test(hook):
    users = [path for path, text in TEST_SOURCES.items() if hook in text]
    assert users, f"no test implements or calls {hook}"
