"""Plugin discovery and loading.

Plugins are found through the entry-point group named by ENTRY_POINT_GROUP
(built-in ones too), enabled by name in the config, ordered so that a
plugin's requirements come first, and registered with a fresh pluggy
manager per app (never at import time, so tests can build apps with only
the plugins they test).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from . import hookspecs
from .errors import ConfigError, UnknownName

if TYPE_CHECKING:
    from .registry import Registry

ENTRY_POINT_GROUP = "missionbase.plugins"
CORE_PLUGIN = "core"


@dataclass
class PluginInfo:
    name: str
    module_name: str
    version: str = ""
    distribution: str = ""
    requires: list[str] = field(default_factory=list)
    module: ModuleType | None = None

    @property
    def namespace(self) -> str:
        """The prefix of the plugin's job, report and setting names (``namespace = "..."`` in its module)."""
        return getattr(self.load(), "namespace", self.name)

    def load(self) -> ModuleType:
        if self.module is None:
            try:
                self.module = importlib.import_module(self.module_name)
            except Exception as exc:
                raise ConfigError(
                    f"plugin {self.name!r} failed to import ({self.module_name}): {exc}"
                ) from exc
            self.requires = list(getattr(self.module, "requires", []))
        return self.module


def installed_plugins(extra: dict[str, ModuleType] | None = None) -> dict[str, PluginInfo]:
    """Every plugin installed in this environment, by name (not imported yet)."""
    from importlib.metadata import entry_points

    found: dict[str, PluginInfo] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        found[ep.name] = PluginInfo(
            ep.name,
            ep.value.split(":")[0],
            version=getattr(dist, "version", "") if dist else "",
            distribution=getattr(dist, "name", "") if dist else "",
        )
    for name, module in (extra or {}).items():
        found[name] = PluginInfo(
            name,
            module.__name__,
            version="(in-process)",
            module=module,
            requires=list(getattr(module, "requires", [])),
        )
    return found


def resolve_enabled(enabled: list[str], installed: dict[str, PluginInfo]) -> list[PluginInfo]:
    """Check the enabled names and order them requirements-first."""
    for name in enabled:
        if name not in installed:
            raise ConfigError(f"plugins: {UnknownName('plugin', name, installed)}")
    chosen = {name: installed[name] for name in dict.fromkeys(enabled)}
    for info in chosen.values():
        info.load()
        missing = [r for r in info.requires if r not in chosen]
        if missing:
            raise ConfigError(
                f"plugin {info.name!r} requires {', '.join(repr(m) for m in missing)}: "
                f"add {', '.join(missing)} to plugins in the config"
            )
    ordered: list[PluginInfo] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if any(p.name == name for p in ordered):
            return
        if name in visiting:
            raise ConfigError(f"plugins require each other in a cycle through {name!r}")
        visiting.add(name)
        for req in chosen[name].requires:
            visit(req)
        visiting.discard(name)
        ordered.append(chosen[name])

    for name in chosen:
        visit(name)
    return ordered


TRACE_HOOKS_ENV = "MISSIONBASE_TRACE_HOOKS"


def build_manager(plugins: list[PluginInfo], core_module: ModuleType) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    if os.environ.get(TRACE_HOOKS_ENV):
        trace_hook_calls(pm, sys.stderr.write)
    pm.add_hookspecs(hookspecs)
    pm.register(core_module, name=CORE_PLUGIN)
    name = CORE_PLUGIN
    try:
        for info in plugins:
            name = info.name
            # Registering checks each hook's argument names against its spec.
            pm.register(info.load(), name=name)
        # A misspelt hook name is an error, not silently dead code.
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        # A plugin refused by register() is not registered, so it has no name in pm yet.
        name = pm.get_name(exc.plugin) or name
        reason = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        raise ConfigError(f"plugin {name!r}: {reason}") from None
    return pm


def load_plugins(
    enabled: list[str], core_module: ModuleType, extra: dict[str, ModuleType] | None = None
) -> tuple[dict[str, PluginInfo], list[PluginInfo], pluggy.PluginManager]:
    """(installed, enabled in order, manager): the one way plugins are built, for the app and the CLI.

    Raises ConfigError for an unknown, unimportable or unmet plugin, so
    ``missionbase GROUP`` reports a broken plugin as the app would, never
    as a missing command.
    """
    installed = installed_plugins(extra)
    plugins = resolve_enabled(enabled, installed)
    return installed, plugins, build_manager(plugins, core_module)


DECLARATION_HOOKS = (
    "missionbase_register_objects",
    "missionbase_register_settings",
    "missionbase_register_target_types",
    "missionbase_register_permission_sets",
    "missionbase_register_triggers",
    "missionbase_register_jobs",
    "missionbase_register_reports",
    "missionbase_register_actions",
)


def call_in_order(
    pm: pluggy.PluginManager, hook_name: str, order: list[str], **kwargs
) -> list[tuple[str, Any]]:
    """Call one hook plugin by plugin: core first, then each plugin after its requirements.

    pluggy calls all implementations in one go, last registered first; hooks
    whose effects build on each other (demo data refers to other plugins'
    records, declarations record their owner) need dependency order instead.
    Each call still goes through pluggy (a hook caller without the other
    plugins), so tracing and hook-call monitoring see it.
    """
    return [
        (name, caller(**{k: v for k, v in kwargs.items() if k in caller.argnames}))
        for name, caller in callers_in_order(pm, hook_name, order)
    ]


def declare(pm: pluggy.PluginManager, registry: Registry, plugins: list[PluginInfo]) -> None:
    """Run every declaration hook, giving each plugin a registry view that stamps it as owner."""
    namespaces = {CORE_PLUGIN: CORE_PLUGIN, **{p.name: p.namespace for p in plugins}}
    order = [p.name for p in plugins]
    for hook_name in DECLARATION_HOOKS:
        for name, caller in callers_in_order(pm, hook_name, order):
            caller(registry=registry.scoped(name, namespaces[name]))
    registry.finish()


class _OnePluginCaller:
    def __init__(self, caller: Any, argnames: tuple[str, ...]) -> None:
        self.caller = caller
        self.argnames = argnames

    def __call__(self, **kwargs: Any) -> Any:
        results = self.caller(**kwargs)
        return results[0] if results else None


def callers_in_order(pm: pluggy.PluginManager, hook_name: str, order: list[str]):
    """(plugin name, caller of that plugin's implementation alone) for each implementing plugin, in order."""
    hook = getattr(pm.hook, hook_name)
    implemented = {impl.plugin_name: impl for impl in hook.get_hookimpls()}
    everyone = [plugin for _name, plugin in pm.list_name_plugin()]
    for name in [CORE_PLUGIN, *order]:
        impl = implemented.get(name)
        if impl is None:
            continue
        others = [plugin for plugin in everyone if plugin is not impl.plugin]
        yield name, _OnePluginCaller(pm.subset_hook_caller(hook_name, remove_plugins=others), impl.argnames)


def trace_hook_calls(pm: pluggy.PluginManager, write: Callable[[str], Any]) -> None:
    """Print every hook call and its result (``MISSIONBASE_TRACE_HOOKS=1``), as datasette's trace does."""
    pm.trace.root.setwriter(write)
    pm.enable_tracing()
