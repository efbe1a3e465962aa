"""Every installed plugin passes the shared conformance checks (missionbase.core.testing.PluginConformance)."""

from __future__ import annotations

import pytest

from missionbase.core.plugins import installed_plugins, resolve_enabled
from missionbase.core.testing import PluginConformance


def _with_requirements(name: str) -> list[str]:
    return [p.name for p in resolve_enabled(_closure(name), installed_plugins())]


def _closure(name: str) -> list[str]:
    installed = installed_plugins()
    wanted, stack = [], [name]
    while stack:
        current = stack.pop()
        if current not in wanted:
            wanted.append(current)
            info = installed[current]
            info.load()  # reads the plugin's `requires`
            stack.extend(info.requires)
    return wanted


@pytest.fixture(params=sorted(installed_plugins()))
def plugin_name(request):
    return request.param


class TestEveryInstalledPlugin(PluginConformance):
    @pytest.fixture
    def conformance_app(self, make_app, plugin_name):
        self.plugins = _with_requirements(plugin_name)
        return make_app(plugins=self.plugins)
