"""Plugins import core only through its public face, ``missionbase.core``.

Core's submodules (records, security.sharing, cli.context...) are free to
move; a plugin that imports one breaks when they do. So every built-in
plugin and the third-party example import core names from
``missionbase.core`` alone (their tests may also use
``missionbase.core.testing``), and a plugin imports another plugin only if
it declares it in ``requires`` (else enabling it alone would fail at import).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import missionbase.core

ROOT = Path(__file__).resolve().parent.parent
FACE = "missionbase.core"


def plugin_packages() -> list[tuple[str, str, Path]]:
    """(plugin name, package name, folder) of every built-in plugin and the housing example."""
    found = [
        (folder.name, f"missionbase.plugins.{folder.name}", folder)
        for folder in sorted((ROOT / "plugins").iterdir())
        if (folder / "__init__.py").is_file()
    ]
    housing = ROOT / "tests" / "thirdparty" / "missionbase-housing" / "missionbase_housing"
    return [*found, ("housing", "missionbase_housing", housing)]


def declared_requires(init_file: Path) -> list[str]:
    """The plugin's ``requires = [...]``, read from the source (importing it would hide a cycle)."""
    for node in ast.parse(init_file.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "requires" for t in node.targets
        ):
            return list(ast.literal_eval(node.value))
    return []


def imported_modules(path: Path, module: str) -> list[tuple[int, str, list[str]]]:
    """(line, absolute module, names) of each import in one file, relative ones resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            out.append((node.lineno, name, [alias.name for alias in node.names]))
    return out


def face_violations(plugin: str, package: str, folder: Path, requires: list[str]) -> list[str]:
    """What one plugin's non-test modules import past the face or from plugins it does not require."""
    problems = []
    for path in sorted(folder.rglob("*.py")):
        relative = path.relative_to(folder)
        if "tests" in relative.parts:
            continue
        module = ".".join((package, *relative.with_suffix("").parts)).removesuffix(".__init__")
        for line, name, names in imported_modules(path, module):
            where = f"{path.relative_to(folder.parent)}:{line}"
            if name == FACE:
                problems += [f"{where}: {n} is not in missionbase.core" for n in names if n not in FACE_NAMES]
            elif name.startswith(FACE + "."):
                problems.append(f"{where}: imports {name}; import from missionbase.core instead")
            elif name == "missionbase.plugins" or name.startswith("missionbase.plugins."):
                targets = names if name == "missionbase.plugins" else [name.split(".")[2]]
                problems += [
                    f"{where}: imports plugin {other!r} but requires only {requires}"
                    for other in targets
                    if other != plugin and other not in requires
                ]
    return problems


FACE_NAMES = set(missionbase.core.__all__)


@pytest.mark.parametrize(("plugin", "package", "folder"), plugin_packages(), ids=lambda v: str(v))
def test_plugins_import_core_only_through_its_face(plugin, package, folder):
    requires = declared_requires(folder / "__init__.py")
    assert face_violations(plugin, package, folder, requires) == []


def test_the_check_catches_deep_core_imports_and_undeclared_plugins(tmp_path):
    folder = tmp_path / "pkg"
    (folder / "tests").mkdir(parents=True)
    (folder / "__init__.py").write_text('requires = ["pmm"]\nfrom missionbase.core import hookimpl\n')
    (folder / "ok.py").write_text(
        "from missionbase.core import ValidationError, fields as f\n"
        "from missionbase.plugins.pmm import settings\n"
        "from . import helpers\n"
    )
    (folder / "bad.py").write_text(
        "from missionbase.core.records import RecordService\n"
        "import missionbase.core.security.sharing\n"
        "from missionbase.core import not_a_face_name\n"
        "from missionbase.plugins.chatter import posting\n"
        "from missionbase.plugins import casemgmt\n"
        "from ..chatter import feeds\n"
    )
    (folder / "tests" / "test_x.py").write_text("from missionbase.core.records import RecordService\n")
    found = face_violations(
        "pkg", "missionbase.plugins.pkg", folder, declared_requires(folder / "__init__.py")
    )
    assert found == [
        "pkg/bad.py:1: imports missionbase.core.records; import from missionbase.core instead",
        "pkg/bad.py:2: imports missionbase.core.security.sharing; import from missionbase.core instead",
        "pkg/bad.py:3: not_a_face_name is not in missionbase.core",
        "pkg/bad.py:4: imports plugin 'chatter' but requires only ['pmm']",
        "pkg/bad.py:5: imports plugin 'casemgmt' but requires only ['pmm']",
        "pkg/bad.py:6: imports plugin 'chatter' but requires only ['pmm']",
    ]


def test_every_name_of_the_face_resolves():
    missing = [name for name in missionbase.core.__all__ if getattr(missionbase.core, name, None) is None]
    assert missing == []
    with pytest.raises(AttributeError, match="no attribute 'records_internals'"):
        _ = missionbase.core.records_internals


def test_the_face_and_its_cli_helpers_import_only_click():
    code = (
        "import sys\n"
        "import missionbase.core\n"
        "assert len([m for m in sys.modules if m.startswith('missionbase.core.')]) == 0, sys.modules\n"
        "from missionbase.core import pass_app, as_user_option, json_option, echo_table, action_command\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'pluggy', 'pydantic'})\n"
        "print(heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
