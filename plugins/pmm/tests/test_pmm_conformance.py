"""PMM passes the shared plugin conformance checks."""

from missionbase.core.testing import PluginConformance


class TestPmmConformance(PluginConformance):
    plugins = ["pmm"]
