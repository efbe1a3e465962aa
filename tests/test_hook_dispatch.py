"""How core calls the hooks: through pluggy, firstresult for mail, owners stamped per plugin.

Declaration hooks run plugin by plugin in dependency order, each handed a
registry view that records the plugin as owner; every other hook is an
ordinary pluggy call, so tryfirst/trylast, firstresult and hook-call
monitoring (``MISSIONBASE_TRACE_HOOKS=1``) work as pluggy documents.
"""

from __future__ import annotations

import os
import subprocess
import sys
import types

import pytest

from missionbase.core import Job, Report, Setting, hookimpl
from missionbase.core.errors import ConfigError
from missionbase.core.mail import Email
from missionbase.core.plugins import TRACE_HOOKS_ENV
from missionbase.core.registry import PluginRegistry, Registry


def transport(name: str, log: list[str], returns, **marker) -> types.ModuleType:
    module = types.ModuleType(f"transport_{name}")

    def missionbase_send_emails(settings, emails):
        log.append(name)
        return returns(emails)

    module.missionbase_send_emails = hookimpl(**marker)(missionbase_send_emails)
    return module


def test_with_two_mail_transports_one_sends(make_app):
    log: list[str] = []
    first = transport("first", log, lambda emails: len(emails))
    second = transport("second", log, lambda emails: len(emails))
    app = make_app(plugins=["first", "second"], extra_plugins={"first": first, "second": second})
    assert app.send_emails([Email("a@example.org", "Hi", "Body")]) == 1
    # pluggy calls the last registered first and stops at the first answer.
    assert log == ["second"]


def test_tryfirst_picks_the_transport(make_app):
    log: list[str] = []
    preferred = transport("preferred", log, lambda emails: len(emails), tryfirst=True)
    other = transport("other", log, lambda emails: len(emails))
    app = make_app(plugins=["preferred", "other"], extra_plugins={"preferred": preferred, "other": other})
    app.send_emails([Email("a@example.org", "Hi", "Body")])
    assert log == ["preferred"]


def test_a_transport_returning_none_leaves_the_mail_to_the_next(make_app):
    log: list[str] = []
    declines = transport("declines", log, lambda emails: None, tryfirst=True)
    sends = transport("sends", log, lambda emails: 7)
    app = make_app(plugins=["declines", "sends"], extra_plugins={"declines": declines, "sends": sends})
    assert app.send_emails([Email("a@example.org", "Hi", "Body")]) == 7
    assert log == ["declines", "sends"]


def declaring(name: str, namespace: str | None = None, **hooks) -> types.ModuleType:
    module = types.ModuleType(f"declaring_{name}")
    if namespace:
        module.namespace = namespace
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(function))
    return module


def test_each_plugin_declares_through_its_own_view(make_app):
    seen: list[tuple[str, str]] = []

    def settings(registry):
        assert isinstance(registry, PluginRegistry)
        seen.append((registry.plugin, registry.namespace))
        registry.add(Setting("ops.retries", 3, "How often to retry"))

    ops = declaring("ops", missionbase_register_settings=settings)
    app = make_app(plugins=["ops"], extra_plugins={"ops": ops})
    assert seen == [("ops", "ops")]
    assert app.registry.settings["ops.retries"].plugin == "ops"
    assert not hasattr(app.registry, "current_plugin")


def test_job_report_and_setting_names_carry_the_plugin_namespace(make_app):
    def jobs(registry):
        registry.add(Job("nightly", run=lambda org: None))

    ops = declaring("ops", missionbase_register_jobs=jobs)
    with pytest.raises(ConfigError, match=r"plugin 'ops': job 'nightly' must start with 'ops\.'"):
        make_app(plugins=["ops"], extra_plugins={"ops": ops})

    def reports(registry):
        registry.add(Report("other.contacts", run=lambda session: []))

    ops = declaring("ops", missionbase_register_reports=reports)
    with pytest.raises(ConfigError, match=r"report 'other.contacts' must start with 'ops\.'"):
        make_app(plugins=["ops"], extra_plugins={"ops": ops})

    def settings(registry):
        registry.add(Setting("limit", 1))

    ops = declaring("ops", missionbase_register_settings=settings)
    with pytest.raises(ConfigError, match=r"setting 'limit' must start with 'ops\.'"):
        make_app(plugins=["ops"], extra_plugins={"ops": ops})


def test_a_plugin_may_name_its_namespace(make_app):
    def jobs(registry):
        registry.add(Job("housing.nightly", run=lambda org: "ok"))

    module = declaring("missionbase_housing_ops", namespace="housing", missionbase_register_jobs=jobs)
    app = make_app(plugins=["missionbase_housing_ops"], extra_plugins={"missionbase_housing_ops": module})
    assert app.registry.jobs["housing.nightly"].plugin == "missionbase_housing_ops"


def test_the_registry_itself_records_an_explicit_owner():
    registry = Registry()
    registry.add(Setting("core.x", 1))
    registry.add(Setting("ops.y", 2), plugin="ops")
    assert registry.settings["core.x"].plugin == "core"
    assert registry.settings["ops.y"].plugin == "ops"
    with pytest.raises(
        ConfigError, match=r"setting 'ops.y' is declared by both plugin 'ops' and plugin 'two'"
    ):
        registry.add(Setting("ops.y", 3), plugin="two", namespace="ops")


def test_declaration_hooks_are_seen_by_hook_call_monitoring(make_app, monkeypatch):
    calls: list[tuple[str, list[str]]] = []
    real_build = __import__("missionbase.core.plugins", fromlist=["build_manager"]).build_manager

    def build_and_monitor(plugins, core_module):
        pm = real_build(plugins, core_module)
        pm.add_hookcall_monitoring(
            lambda hook_name, impls, kwargs: calls.append((hook_name, [i.plugin_name for i in impls])),
            lambda outcome, hook_name, impls, kwargs: None,
        )
        return pm

    monkeypatch.setattr("missionbase.core.plugins.build_manager", build_and_monitor)
    ops = declaring("ops", missionbase_register_settings=lambda registry: None)
    make_app(plugins=["ops"], extra_plugins={"ops": ops})
    assert ("missionbase_register_objects", ["core"]) in calls
    assert ("missionbase_register_settings", ["ops"]) in calls


def test_trace_variable_prints_each_hook_call(tmp_path):
    env = {**os.environ, TRACE_HOOKS_ENV: "1"}
    run = subprocess.run(
        [sys.executable, "-m", "missionbase.core.cli", "init"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "missionbase_register_objects" in run.stderr
    assert "missionbase_register_permission_sets" in run.stderr
    assert "missionbase_register_objects" not in run.stdout
