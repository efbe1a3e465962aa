"""A filter either means what it says or is an error naming what is allowed: never a silent wrong answer."""

from __future__ import annotations

import pytest


@pytest.fixture
def run(make_app, cli_for):
    app = make_app()
    with app.session("admin") as s:
        s.create("Contact", {"last_name": "Silva", "mailing_city": "Lyon", "birthdate": "1990-03-12"})
        s.create("Task", {"subject": "Call", "is_reminder_set": True})
    return cli_for(app)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("mailing_city == Lyon", "unknown operator '=='; use one of = != < <= > >= =~"),
        ("mailing_city like Lyon", "unknown operator 'like'"),
        ("mailing_city ~ Lyon", "unknown operator '~'"),
        ("birthdate >= 31/31/2020", "field 'birthdate': should be a valid date"),
        ("mailing_cty = Lyon", "unknown field 'mailing_cty' on Contact; did you mean 'mailing_city'"),
        ("owner_id = nobody", "no User or Queue matches 'nobody'"),
        ("created_at > yesterday", "'created_at': 'yesterday' is not a date-time"),
        ("version > two", "'version' is a whole number (got 'two')"),
        ("birthdate contains 1990", "'contains' works on text fields; 'birthdate' is date"),
    ],
)
def test_a_filter_that_cannot_mean_what_it_says_is_an_error(run, where, expected):
    result = run("records", "query", "Contact", "--where", where)
    assert result.exit_code == 1
    assert expected in result.err and len(result.err.strip().splitlines()) == 1


def test_a_boolean_filter_refuses_other_words(run):
    result = run("records", "query", "Task", "--where", "is_reminder_set = maybe")
    assert result.exit_code == 1 and "field 'is_reminder_set': should be a valid boolean" in result.err


def test_text_equality_is_exact_and_tilde_ignores_case_as_help_says(run):
    def count(where: str) -> str:
        return run("records", "query", "Contact", "--where", where, "--count").out.strip()

    assert count("mailing_city = Lyon") == "1"
    assert count("mailing_city = lyon") == "0"
    assert count("mailing_city =~ lyon") == "1"
    assert count("mailing_city contains YO") == "1"
    assert count("mailing_city != lyon") == "1"
    help_text = " ".join(run("records", "query", "--help").out.split())
    assert "Text: = is exact (case matters), =~ contains startswith ignore case." in help_text
