"""The demo org with PMM: data a program manager can try the commands on."""

from __future__ import annotations

from missionbase.core.cli.demo import load_demo
from missionbase.plugins.pmm.rollups import recalculate


def test_demo_data_loads_with_consistent_rollups(make_app):
    app = make_app(plugins=["pmm"])
    load_demo(app, echo=lambda line: None)
    with app.session("ben") as s:
        assert s.count("Program") == 2
        assert s.count("ServiceSchedule") == 2
        assert s.count("ProgramEngagement") == 30
        assert s.count("ServiceSession") == 20
        assert s.count("ServiceSession", {"status": "Complete"}) >= 8
        assert s.count("ServiceDelivery", {"contact": {"is_null": True}}) == 1
        assert s.count("Contact", {"num_present_deliveries": {"is_null": False}}) > 10
    with app.system_session() as s:
        assert set(recalculate(s).values()) == {0}
