"""Import and export: streamed batches, per-row errors, dry runs, upserts and resuming after a crash."""

from __future__ import annotations

import csv
import json
import types

import pytest

from missionbase.core import hookimpl
from missionbase.core.dataio import export_records, import_file, load_rows
from missionbase.core.errors import ValidationError


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def contact_count(app, **where):
    with app.session("admin") as s:
        return s.count("Contact", where or None)


def test_good_rows_land_and_bad_rows_go_to_the_error_file(app, tmp_path):
    rows = [[f"First{i}", f"Last{i}", f"p{i}@example.org", "1990-01-01"] for i in range(25)]
    rows[3][2] = "not-an-email"
    rows[17][1] = ""  # last_name is required
    rows[20][3] = "1990-02-30"
    source = write_csv(tmp_path / "people.csv", ["first_name", "last_name", "email", "birthdate"], rows)
    report = import_file(app, "Contact", source, batch_size=10)
    assert (report.rows_read, report.created, report.rejected) == (25, 22, 3)
    assert contact_count(app) == 22
    with open(report.error_file, newline="") as handle:
        errors = list(csv.DictReader(handle))
    assert [int(e["line"]) for e in errors] == [5, 19, 22]  # file lines, header is line 1
    assert "email" in errors[0]["error"] and errors[0]["email"] == "not-an-email"
    assert "last_name" in errors[1]["error"] and "required" in errors[1]["error"]
    assert "birthdate" in errors[2]["error"]


def test_bad_header_rejects_the_file_and_writes_nothing(app, tmp_path):
    source = write_csv(tmp_path / "bad.csv", ["first_name", "lastname"], [["A", "B"]])
    with pytest.raises(ValidationError, match=r"unknown column 'lastname'.*did you mean 'last_name'"):
        import_file(app, "Contact", source)
    assert contact_count(app) == 0


def test_rows_with_the_wrong_number_of_values_are_rejected(app, tmp_path):
    source = tmp_path / "ragged.csv"
    source.write_text("first_name,last_name\nA,B\nC,D,E\nF,G\n", encoding="utf-8")
    report = import_file(app, "Contact", source)
    assert (report.created, report.rejected) == (2, 1)
    assert "3 values" in report.errors_sample[0]


def test_dry_run_reports_but_writes_nothing(app, tmp_path):
    source = write_csv(tmp_path / "p.csv", ["last_name", "email"], [["A", "a@x.org"], ["B", "bad"]])
    report = import_file(app, "Contact", source, dry_run=True)
    assert (report.created, report.rejected, report.dry_run) == (1, 1, True)
    assert contact_count(app) == 0


def test_jsonl_import_with_lookups_and_multiple_types(app, tmp_path):
    with app.session("admin") as s:
        account = s.create("Account", {"name": "Shelter"})
    source = tmp_path / "tasks.jsonl"
    lines = [
        {"subject": "Call", "priority": "High", "due_date": "2025-03-01", "what": account["id"]},
        {"subject": "Visit", "status": "Completed"},
        "this is not json",
        {"subject": "Bad lookup", "what": "acc_01JD0000000000000000000000"},
    ]
    source.write_text(
        "\n".join(json.dumps(x) if isinstance(x, dict) else x for x in lines) + "\n", encoding="utf-8"
    )
    report = import_file(app, "Task", source)
    assert (report.created, report.rejected) == (2, 2)
    with open(report.error_file, encoding="utf-8") as handle:
        errors = [json.loads(line) for line in handle]
    assert [e["line"] for e in errors] == [3, 4]
    assert "not valid JSON" in errors[0]["error"] and "does not exist" in errors[1]["error"]
    with app.session("admin") as s:
        done = s.query("Task", where={"subject": "Visit"}).records[0]
    assert done["is_closed"] is True and done["completed_date"] is not None


def test_upsert_by_unique_field_updates_matches_and_creates_the_rest(app, tmp_path):
    with app.session("admin") as s:
        s.create("User", {"username": "ana", "name": "Ana"})
    source = write_csv(
        tmp_path / "users.csv", ["username", "name"], [["ana", "Ana Silva"], ["ben", "Ben Carter"]]
    )
    report = import_file(app, "User", source, upsert_key="username")
    assert (report.created, report.updated, report.rejected) == (1, 1, 0)
    with app.session("admin") as s:
        names = {
            u["username"]: u["name"]
            for u in s.query("User", where={"username": {"in": ["ana", "ben"]}}).records
        }
        ana = s.query("User", where={"username": "ana"}).records[0]
    assert names == {"ana": "Ana Silva", "ben": "Ben Carter"}
    assert ana["version"] == 2


def test_upsert_key_must_be_unique(app, tmp_path):
    source = write_csv(tmp_path / "c.csv", ["last_name", "email"], [["A", "a@x.org"]])
    with pytest.raises(ValidationError, match="must be a unique field"):
        import_file(app, "Contact", source, upsert_key="email")


def test_export_then_reimport_by_id_round_trips(app, tmp_path):
    with app.session("admin") as s:
        s.create_many(
            "Contact",
            [{"first_name": f"F{i}", "last_name": f"L{i}", "birthdate": "2000-01-02"} for i in range(7)],
        )
    out = tmp_path / "contacts.csv"
    with open(out, "w", newline="", encoding="utf-8") as handle:
        assert export_records(app, "Contact", handle, batch_size=3) == 7
    text = out.read_text(encoding="utf-8").replace(",F3,", ",Changed,")
    out.write_text(text, encoding="utf-8")
    report = import_file(app, "Contact", out, upsert_key="id")
    assert (report.updated, report.created, report.rejected) == (7, 0, 0)
    assert "name" in report.ignored_columns  # computed, so skipped rather than an error
    assert contact_count(app, first_name="Changed") == 1


def test_export_jsonl_streams_every_visible_record(app, tmp_path):
    with app.session("admin") as s:
        s.create_many(
            "Contact",
            [{"last_name": f"L{i:03d}", "mailing_city": "Lyon" if i % 2 else "Lille"} for i in range(55)],
        )
    out = tmp_path / "c.jsonl"
    with open(out, "w", encoding="utf-8") as handle:
        count = export_records(
            app, "Contact", handle, fmt="jsonl", where={"mailing_city": "Lyon"}, batch_size=10
        )
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert count == len(records) == 27
    assert len({r["id"] for r in records}) == 27


def crashing_plugin() -> types.ModuleType:
    """A plugin whose trigger fails hard (not a validation error) on a marked row, like a crash mid-import."""
    plugin = types.ModuleType("crashing_plugin")

    def explode(ctx, rows):
        if any(row.new.get("title") == "CRASH" for row in rows):
            raise RuntimeError("power cut")

    @hookimpl
    def missionbase_register_triggers(registry):
        registry.add_trigger("Contact", "before_insert", explode)

    plugin.missionbase_register_triggers = missionbase_register_triggers
    return plugin


def test_resume_after_a_crash_skips_committed_batches_only(make_app, tmp_path):
    rows = [[f"L{i}", "CRASH" if i == 25 else ""] for i in range(40)]
    source = write_csv(tmp_path / "big.csv", ["last_name", "title"], rows)
    crashing = make_app(extra_plugins={"crashing": crashing_plugin()}, plugins=["crashing"])
    with pytest.raises(RuntimeError, match="power cut"):
        import_file(crashing, "Contact", source, batch_size=10)
    assert contact_count(crashing) == 20  # batches 1 and 2 committed, batch 3 rolled back whole
    healthy = make_app(init=False)  # same database, the faulty plugin gone
    report = import_file(healthy, "Contact", source, batch_size=10, resume=True)
    assert report.skipped_batches == 2 and report.created == 20
    assert contact_count(healthy) == 40
    with healthy.session("admin") as s:
        names = [c["last_name"] for c in s.query("Contact", fields=["last_name"]).records]
    assert sorted(names) == sorted(f"L{i}" for i in range(40))  # every row once


def test_import_runs_as_the_given_user(app, tmp_path):
    from missionbase.core.security.sharing import assign_permission_set

    with app.session("admin") as s:
        ana = s.create("User", {"username": "ana", "name": "Ana"})
        assign_permission_set(s, ana["id"], "Standard User")
    source = write_csv(tmp_path / "c.csv", ["last_name"], [["A"]])
    import_file(app, "Contact", source, as_user="ana")
    with app.session("admin") as s:
        contact = s.query("Contact").records[0]
    assert contact["owner_id"] == ana["id"] and contact["created_by"] == ana["id"]


def test_import_cli_exit_codes_and_summary(cli, tmp_path, monkeypatch, database_url):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MISSIONBASE_DATABASE_URL", raising=False)
    assert cli("init", "--database-url", database_url).exit_code == 0
    write_csv(tmp_path / "ok.csv", ["last_name"], [["A"], ["B"]])
    ok = cli("import", "Contact", "ok.csv")
    assert ok.exit_code == 0 and "created 2" in ok.out
    write_csv(tmp_path / "mixed.csv", ["last_name", "email"], [["C", "c@x.org"], ["D", "nope"]])
    mixed = cli("import", "Contact", "mixed.csv", "--json")
    assert mixed.exit_code == 3 and mixed.json()["rejected"] == 1
    assert (tmp_path / "mixed.csv.errors.csv").is_file()
    bad = cli("import", "Contact", "missing.csv")
    assert bad.exit_code != 0 and "does not exist" in bad.err
    exported = cli("export", "Contact", "--format", "jsonl")
    assert exported.exit_code == 0 and len(exported.out.strip().splitlines()) == 3


def test_load_rows_reads_csv_json_lines_and_json_arrays_with_the_import_rules(tmp_path):
    csv_file = tmp_path / "rows.csv"
    csv_file.write_text("\ufeffcontact , quantity,skip\nc1,2,\n\nc2,,yes\n", encoding="utf-8")
    # an empty cell is left out, as in an import: the same as a missing JSON key
    assert load_rows(csv_file) == [{"contact": "c1", "quantity": "2"}, {"contact": "c2", "skip": "yes"}]
    lines = tmp_path / "rows.txt"
    lines.write_text('{"contact": "c1", "quantity": 2, "skip": null}\n\n{"contact": "c2", "skip": ""}\n')
    assert load_rows(lines) == [{"contact": "c1", "quantity": 2}, {"contact": "c2"}]
    array = tmp_path / "rows.json"
    array.write_text(json.dumps([{"contact": "c1", "quantity": None}]))
    assert load_rows(array) == [{"contact": "c1"}]


def test_load_rows_names_the_file_and_line_of_a_bad_row(tmp_path):
    short = tmp_path / "short.csv"
    short.write_text("contact,quantity\nc1,2\nc2\n")
    with pytest.raises(ValidationError, match=r"short.csv line 3 has 1 values but the header has 2"):
        load_rows(short)
    (tmp_path / "flat.json").write_text("[1, 2]")
    with pytest.raises(ValidationError, match="must hold a JSON array of objects"):
        load_rows(tmp_path / "flat.json")
    with pytest.raises(ValidationError, match="does not exist"):
        load_rows(tmp_path / "missing.csv")


def test_a_file_that_is_not_utf8_is_one_clear_error(cli, tmp_path, monkeypatch, database_url):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MISSIONBASE_DATABASE_URL", raising=False)
    assert cli("init", "--database-url", database_url).exit_code == 0
    (tmp_path / "latin1.csv").write_bytes("last_name\nDupont\nL\xe9a\n".encode("latin-1"))
    result = cli("import", "Contact", "latin1.csv")
    assert result.exit_code != 0 and "Traceback" not in result.err
    assert "latin1.csv line 3: byte 0xE9 (byte 19 of the file) is not valid UTF-8" in result.err


def test_a_refused_export_leaves_the_existing_file_as_it_was(cli, tmp_path, monkeypatch, database_url):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MISSIONBASE_DATABASE_URL", raising=False)
    assert cli("init", "--database-url", database_url).exit_code == 0
    assert cli("records", "create", "Contact", "--set", "last_name=Dupont").exit_code == 0
    kept = tmp_path / "contacts.csv"
    kept.write_text("yesterday's export\n")
    kept.chmod(0o640)
    for bad in (["--fields", "nope"], ["--where", "last_name == X"], ["--as", "nobody"]):
        refused = cli("export", "Contact", "-o", "contacts.csv", *bad)
        assert refused.exit_code != 0 and refused.out == "", bad
        assert kept.read_text() == "yesterday's export\n", bad
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".contacts")) == []
    missing = cli("export", "Contact", "-o", "nowhere/contacts.csv")
    assert missing.exit_code == 1 and "folder nowhere does not exist" in missing.err
    assert cli("export", "Contact", "-o", "contacts.csv", "--quiet").exit_code == 0
    assert kept.read_text().splitlines()[1].split(",")[3] == "Dupont"
    assert kept.stat().st_mode & 0o777 == 0o640  # the file keeps its permissions
