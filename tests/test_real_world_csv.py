"""CSV files as people have them: Excel's ';' and latin-1, labels as headers, French dates and
numbers, names for lookups, every error of a row; and export -> import round trips."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from missionbase.core.testing import add_users

DATA = Path(__file__).parent / "data"


@pytest.fixture
def french_org(make_app, cli_for):
    """A French org (locale fr, Europe/Paris) with PMM: a service and four clients."""
    app = make_app(plugins=["pmm"], locale="fr", time_zone="Europe/Paris")
    with app.system_session() as s:
        program = s.create("Program", {"name": "Soutien scolaire", "status": "Active"})
        s.create("Service", {"name": "Homework Club", "program": program["id"]})
        for first, last in (("Ana", "Silva"), ("Ben", "Moreau"), ("Chloé", "Ng"), ("Esi", "Okafor")):
            s.create("Contact", {"first_name": first, "last_name": last})
    return app, cli_for(app)


def deliveries(app) -> dict[str, dict]:
    with app.session("admin") as s:
        rows = s.query(
            "ServiceDelivery",
            fields=["name", "service.name", "contact", "delivery_date", "quantity", "autoname_override"],
        ).records
        names = s.lookup_names.names({r["contact"] for r in rows})
    return {r["name"]: {**r, "client": names[r["contact"]]} for r in rows}


def error_lines(path: Path) -> list[tuple[int, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [(int(row["line"]), row["error"]) for row in csv.DictReader(handle)]


@pytest.mark.parametrize(
    ("fixture", "extra"),
    [("messy_deliveries.csv", []), ("messy_deliveries_latin1.csv", ["--encoding", "latin-1"])],
)
def test_a_messy_spreadsheet_imports_exactly_its_good_rows_and_names_every_error(
    french_org, tmp_path, fixture, extra
):
    app, run = french_org
    source = tmp_path / fixture
    source.write_bytes((DATA / fixture).read_bytes())
    result = run("import", "ServiceDelivery", str(source), "--map", "Nom=name", *extra)
    assert result.exit_code == 3, result.err  # some rows were rejected
    assert "5 rows read, created 3" in result.out  # blank lines are no rows and "rejected 2" in result.out
    got = deliveries(app)
    # Ben's row says "non" to keeping its own name: PMM names the delivery.
    assert set(got) == {"Atelier Ana", "Ben Moreau 2025-07-14: Homework Club", "Esi"}
    ana, ben, esi = got["Atelier Ana"], got["Ben Moreau 2025-07-14: Homework Club"], got["Esi"]
    assert (ana["client"], ana["service.name"], str(ana["delivery_date"]), str(ana["quantity"])) == (
        "Ana Silva",
        "Homework Club",
        "2025-12-03",  # 03/12/2025 is 3 December in French
        "1234.50",
    )
    assert ana["autoname_override"] is True and ben["autoname_override"] is False
    assert (str(ben["delivery_date"]), str(ben["quantity"])) == ("2025-07-14", "12.50")
    assert (esi["client"], esi["service.name"], str(esi["quantity"])) == (
        "Esi Okafor",
        "Homework Club",
        "1000.00",
    )
    errors = error_lines(source.with_name(source.name + ".errors.csv"))
    assert [line for line, _ in errors] == [5, 7]  # file lines: the header is line 1, blank lines count
    chloe = errors[0][1]
    for part in (
        "field 'service': no Service matches 'Nowhere'",
        "field 'delivery_date': '31/02/2025' is not a date (expected DD/MM/YYYY or YYYY-MM-DD)",
        "field 'quantity': 'abc' is not a number (expected e.g. 1 234,50 or 1234.50)",
        "field 'attendance_status'",
        "field 'autoname_override': 'peut-être' is not yes or no (expected oui/non, yes/no, true/false, 1/0)",
    ):
        assert part in chloe, chloe
    assert errors[1][1] == "field 'contact': no Contact matches 'Nobody Known' (by id or name)"
    # --dry-run shows the same lines, writes nothing.
    assert "line 5: field 'service'" in result.err


def test_dry_run_reports_every_error_of_a_row_and_writes_nothing(french_org, tmp_path):
    app, run = french_org
    source = tmp_path / "d.csv"
    source.write_bytes((DATA / "messy_deliveries.csv").read_bytes())
    result = run("import", "ServiceDelivery", str(source), "--map", "Nom=name", "--dry-run")
    assert result.exit_code == 3
    assert "would create 3" in result.out
    assert "line 5: field 'service': no Service matches 'Nowhere'" in result.err
    assert "field 'quantity': 'abc' is not a number" in result.err
    assert deliveries(app) == {}


def test_a_latin1_file_read_as_utf8_is_one_line_naming_line_and_byte(french_org, tmp_path):
    app, run = french_org
    source = tmp_path / "latin.csv"
    source.write_bytes((DATA / "messy_deliveries_latin1.csv").read_bytes())
    result = run("import", "ServiceDelivery", str(source), "--map", "Nom=name")
    assert result.exit_code == 1
    assert result.err.strip().splitlines() == [
        "error: latin.csv line 5: byte 0xE9 (byte 216 of the file) is not valid UTF-8; "
        "pass --encoding latin-1 if a Windows program (Excel) saved it"
    ]
    assert deliveries(app) == {}


def test_delimiter_is_sniffed_or_given_and_headers_are_labels_any_case(make_app, cli_for, tmp_path):
    app = make_app()
    run = cli_for(app)
    (tmp_path / "tabs.tsv").write_text("First name\tLAST NAME\temail \nAna\tSilva\tana@example.org\n")
    (tmp_path / "pipes.csv").write_text("last_name|mailing_city\nNg|Lyon\n")
    assert run("import", "Contact", str(tmp_path / "tabs.tsv"), "--format", "csv").exit_code == 0
    assert run("import", "Contact", str(tmp_path / "pipes.csv"), "--delimiter", "|").exit_code == 0
    with app.session("admin") as s:
        found = {r["name"]: r for r in s.query("Contact", fields=["name", "email", "mailing_city"]).records}
    assert found["Ana Silva"]["email"] == "ana@example.org" and found["Ng"]["mailing_city"] == "Lyon"


def test_a_mapping_file_and_date_format(make_app, cli_for, tmp_path):
    app = make_app()
    run = cli_for(app)
    (tmp_path / "map.json").write_text(json.dumps({"Nom de famille": "last_name", "Né le": "birthdate"}))
    (tmp_path / "p.csv").write_text("Nom de famille,Né le\nSilva,12/03/1990\n", encoding="utf-8")
    result = run(
        "import",
        "Contact",
        str(tmp_path / "p.csv"),
        "--map-file",
        str(tmp_path / "map.json"),
        "--date-format",
        "MM/DD/YYYY",
    )
    assert result.exit_code == 0, result.err
    with app.session("admin") as s:
        assert str(s.query("Contact", fields=["birthdate"]).records[0]["birthdate"]) == "1990-12-03"


def test_an_unknown_column_names_the_fix(make_app, cli_for, tmp_path):
    run = cli_for(make_app())
    (tmp_path / "p.csv").write_text("Prénom,last_name\nAna,Silva\n", encoding="utf-8")
    result = run("import", "Contact", str(tmp_path / "p.csv"))
    assert result.exit_code == 1
    assert "unknown column 'Prénom'" in result.err and "--map 'Column=field'" in result.err


def test_lookup_option_says_which_field_names_match(make_app, cli_for, tmp_path):
    app = make_app()
    run = cli_for(app)
    with app.session("admin") as s:
        s.create("Account", {"name": "Acme", "phone": "+33 1 23 45 67 89"})
    (tmp_path / "c.csv").write_text("last_name,account\nSilva,+33 1 23 45 67 89\n")
    assert run("import", "Contact", str(tmp_path / "c.csv"), "--lookup", "account=phone").exit_code == 0
    bad = run("import", "Contact", str(tmp_path / "c.csv"), "--lookup", "account=fax")
    assert bad.exit_code == 1 and "unknown field 'fax'" in bad.err


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_what_export_writes_imports_back_unchanged_with_upsert_key_id(make_app, cli_for, tmp_path, fmt):
    app = make_app(locale="fr")
    run = cli_for(app)
    add_users(app, {"ben": "Ben Moreau"})
    with app.session("admin") as s:
        acme = s.create("Account", {"name": "Acme"})
        s.create(
            "Contact",
            {"first_name": "Ana", "last_name": "Silva", "birthdate": "1990-03-12", "account": acme["id"]},
        )
        s.create(
            "Task", {"subject": "Call", "due_date": "2026-03-01", "reminder_at": "2026-02-28T09:00+01:00"}
        )
    for object_name in ("Contact", "Task"):
        out = tmp_path / f"{object_name}.{fmt}"
        assert (
            run("export", object_name, "--format", fmt, "-o", str(out), "--delimiter", ";", "--bom").exit_code
            == 0
        )
        if fmt == "csv":
            assert out.read_bytes().startswith(b"\xef\xbb\xbf")
        with app.session("admin") as s:
            before = s.query(object_name).records
        result = run("import", object_name, str(out), "--upsert-key", "id")
        assert result.exit_code == 0, result.out + result.err
        assert f"updated {len(before)}, rejected 0" in result.out
        with app.session("admin") as s:
            after = s.query(object_name).records
        assert unstamped(after) == unstamped(before)


def unstamped(rows: list[dict]) -> list[dict]:
    """Records without what an update stamps (its time and version)."""
    return [{k: v for k, v in r.items() if k not in ("modified_at", "version")} for r in rows]
