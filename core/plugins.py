"""Plugin discovery and loading.

Plugins are found through the entry-point group named by ENTRY_POINT_GROUP
(built-in ones too), enabled by name in the config, ordered so that a
plugin's requirements come first, and registered with a fresh pluggy
manager per app (never at import time, so tests can build apps with only
the plugins they test).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType

import pluggy

from . import hookspecs
from .errors import ConfigError, UnknownName

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


def build_manager(plugins: list[PluginInfo], core_module: ModuleType) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
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


def call_in_order(pm: pluggy.PluginManager, hook_name: str, order: list[str], registry=None, **kwargs):
    """Call one hook plugin by plugin in dependency order, telling the registry who is calling.

    pluggy would call all implementations in one go (last registered first);
    calling them one at a time lets the registry record the owner of every
    declaration and keeps core first, then each plugin after its requirements.
    """
    impls = {impl.plugin_name: impl for impl in getattr(pm.hook, hook_name).get_hookimpls()}
    results = []
    for name in [CORE_PLUGIN, *order]:
        impl = impls.get(name)
        if impl is None:
            continue
        if registry is not None:
            registry.current_plugin = name
        available = {**kwargs, "registry": registry} if registry is not None else kwargs
        args = {k: v for k, v in available.items() if k in impl.argnames}
        results.append((name, impl.function(**args)))
    if registry is not None:
        registry.current_plugin = CORE_PLUGIN
    return results
