"""Help a user can rely on: every command and option explains itself, ``--help`` inside an org
lists what its plugins add, and a plugin's command where that plugin is off says how to get it."""

from __future__ import annotations

import inspect

import click
import pytest

from missionbase.core.cli import cli as root
from missionbase.core.cli.context import CliState, plugin_commands
from missionbase.core.plugins import installed_plugins


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("MISSIONBASE_DATABASE_URL", "MISSIONBASE_PLUGINS", "MISSIONBASE_CONFIG", "MISSIONBASE_USER"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _without_help(command: click.Command, path: list[str], ctx: click.Context) -> list[str]:
    missing = []
    if path and not (command.help or command.short_help):
        missing.append(" ".join(path))
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden and not param.help:
            missing.append(f"{' '.join(path)} {param.opts[0]}")
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            missing += _without_help(command.get_command(ctx, name), [*path, name], ctx)
    return missing


def test_every_command_and_option_of_core_and_every_installed_plugin_has_a_help_line(folder, monkeypatch):
    monkeypatch.setenv("MISSIONBASE_PLUGINS", ",".join(sorted(installed_plugins())))
    ctx = click.Context(root, obj=CliState())
    commands = {name: root.get_command(ctx, name) for name in root.list_commands(ctx)}
    commands.update(plugin_commands(ctx))
    missing = [line for name, cmd in commands.items() for line in _without_help(cmd, [name], ctx)]
    assert missing == []


def test_help_inside_an_org_lists_the_enabled_plugins_command_groups(folder, cli):
    assert cli("init").exit_code == 0
    outside = cli("--help").out
    assert "pmm " not in outside and "No plugin of this org adds commands" in outside
    assert cli("plugins", "enable", "pmm").exit_code == 0
    shown = cli("--help").out.split("Plugin commands:")[1]
    pmm_help = inspect.cleandoc(plugin_commands(click.Context(root, obj=CliState())).get("pmm").help)
    assert "pmm" in shown and pmm_help.split()[0] in shown
    assert "casemgmt" not in shown  # installed, not enabled


def test_help_outside_an_org_says_where_plugin_commands_come_from(folder, cli):
    shown = " ".join(cli("--help").out.split("Plugin commands:")[1].split())
    assert "Run inside an org's folder" in shown and "'missionbase plugins list' shows them" in shown


def test_a_plugin_command_where_its_plugin_is_off_says_how_to_enable_it(folder, cli):
    outside = cli("pmm", "schedule", "list")
    assert outside.exit_code == 2 and "No such command" not in outside.err
    assert "'pmm' is a command group of the pmm plugin, which is not enabled here" in outside.err
    assert "where the pmm plugin is enabled" in outside.err
    assert cli("init").exit_code == 0
    inside = cli("pmm")
    assert inside.exit_code == 2 and "enable it with 'missionbase plugins enable pmm'" in inside.err
    unknown = cli("pmmm")
    assert unknown.exit_code == 2 and "No such command 'pmmm'" in unknown.err
