"""Core names no plugin: plugins reach it through hooks, so core works with any set of them.

A plugin's name in core (an import, a special case, an example in help
text) is a dependency the other way round; this fails on any installed
plugin's name or import path in core's source.
"""

from __future__ import annotations

import re
from pathlib import Path

from missionbase.core.plugins import installed_plugins

CORE = Path(__file__).resolve().parents[1] / "core"


def test_core_source_names_no_installed_plugin():
    installed = installed_plugins()
    assert {"pmm", "chatter", "housing"} <= set(installed)  # the test sees real plugins
    names = set(installed) | {info.module_name for info in installed.values()}
    pattern = re.compile(
        r"\b(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")\b"
    )
    found = [
        f"{path.relative_to(CORE)}:{number}: {line.strip()}"
        for path in sorted(CORE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line) or "missionbase.plugins." in line
    ]
    assert not found, "core names a plugin:\n" + "\n".join(found)
