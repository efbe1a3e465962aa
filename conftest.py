"""Every test in the repository (core, plugins) gets the shared fixtures."""

pytest_plugins = ["missionbase.core.testing"]
