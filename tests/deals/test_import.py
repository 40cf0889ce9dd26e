"""Importing CRM exports through the service and `flask deals import`: upsert by ID, owners, rejected lines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from enable.audit import AuditEvent
from enable.auth.models import Role
from enable.deals.csv_import import parse_deals
from enable.deals.importing import ImportProblem, import_deals
from enable.deals.models import Deal, DealOutcome
from enable.extensions import db
from tests.factories import make_user

CRM = Path(__file__).parent.parent / "data" / "crm"
NOW = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def _import(name_or_bytes: str | bytes, fmt: str = "auto", dry_run: bool = False):
    data = (CRM / name_or_bytes).read_bytes() if isinstance(name_or_bytes, str) else name_or_bytes
    return import_deals(parse_deals(data, fmt), actor=None, now=NOW, dry_run=dry_run)


def _deals() -> dict[str, Deal]:
    return {d.external_id: d for d in db.session.scalars(select(Deal))}


def test_salesforce_export_imports_and_reports_the_bad_line(app, users):
    with app.app_context():
        outcome = _import("salesforce_opportunities.csv")
        db.session.commit()
        assert (outcome.created, outcome.updated, outcome.unchanged, outcome.rejected) == (11, 0, 0, 1)
        assert [(e.line, e.reason) for e in outcome.errors] == [(9, "Amount 'about 20k' is not a number.")]
        deals = _deals()
        assert len(deals) == 11 and "0061x00000A7" not in deals
        acme = deals["0061x00000A1"]
        assert (acme.name, acme.account, acme.amount_cents, acme.currency) == (
            "Acme platform renewal", "Acme Corp", 4_800_000, "USD")
        assert (acme.outcome, acme.stage, acme.close_on, acme.created_on) == (
            DealOutcome.WON, "Closed Won", date(2024, 3, 15), date(2024, 1, 10))
        assert acme.days_to_close == 65
        assert acme.owner_id == users[Role.REP] and acme.owner_name == "rep@example.test"
        assert acme.source == "salesforce"
        # Nobody called Ivan Petrov has an account: the CRM's name is kept, no user is linked.
        initech = deals["0061x00000A3"]
        assert (initech.owner_id, initech.owner_name, initech.outcome) == (None, "Ivan Petrov", DealOutcome.OPEN)
        assert deals["0061x00000A2"].owner_id == users[Role.MANAGER]
        counts = {o: sum(1 for d in deals.values() if d.outcome == o) for o in DealOutcome}
        assert counts == {DealOutcome.WON: 4, DealOutcome.LOST: 3, DealOutcome.OPEN: 4}
        audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "deals.import"))
        assert audit.detail == {"format": "salesforce", "created": 11, "updated": 0, "rejected": 1}


def test_hubspot_export_matches_owners_by_name_too(app, users):
    with app.app_context():
        ivan = make_user(email="ivan@example.test", name="Ivan  PETROV")
        db.session.commit()
        outcome = _import("hubspot_deals.csv")
        db.session.commit()
        assert (outcome.created, outcome.rejected) == (9, 1)
        assert outcome.errors[0].line == 8 and "2024-13-45" in outcome.errors[0].reason
        deals = _deals()
        assert deals["9120003"].owner_id == ivan.id  # "Ivan Petrov" in the file
        assert deals["9120001"].owner_id == users[Role.REP]
        assert deals["9120002"].amount_cents == 450_050
        assert (deals["9120004"].outcome, deals["9120006"].outcome) == (DealOutcome.WON, DealOutcome.LOST)
        assert deals["9120001"].source == "hubspot"


def test_russian_cp1251_semicolon_export_with_decimal_commas_imports(app, users):
    with app.app_context():
        outcome = _import("bitrix_ru_cp1251.csv")
        db.session.commit()
        assert (outcome.created, outcome.rejected) == (6, 1)
        assert outcome.errors[0].line == 8 and "двести тысяч" in outcome.errors[0].reason
        deals = _deals()
        romashka = deals["101"]
        assert romashka.name == "Внедрение CRM для ООО «Ромашка»"
        assert (romashka.amount_cents, romashka.currency, romashka.outcome) == (125_000_050, "RUB", DealOutcome.WON)
        assert romashka.created_on == date(2024, 1, 15) and romashka.close_on == date(2024, 3, 28)
        assert deals["104"].outcome == DealOutcome.WON  # "Успешно реализовано"
        assert deals["105"].outcome == DealOutcome.LOST  # "Закрыто и не реализовано"
        assert deals["102"].owner_name == "Иван Петров" and deals["102"].owner_id is None
        assert deals["101"].owner_id == users[Role.REP]
        assert deals["101"].source == "csv"


def test_reimport_updates_instead_of_duplicating(app, users):
    original = (CRM / "salesforce_opportunities.csv").read_bytes()
    changed = original.replace(b"0061x00000A3,Initech pilot,Initech,9900,Negotiation/Review,6/30/2024",
                               b"0061x00000A3,Initech pilot,Initech,9950,Closed Won,6/30/2024")
    changed = changed.replace(b"Ivan Petrov,0,0\r\n0061x00000A4", b"Ivan Petrov,1,1\r\n0061x00000A4")
    changed = changed.replace(b"Ivan Petrov,0,0\n0061x00000A4", b"Ivan Petrov,1,1\n0061x00000A4")
    assert changed != original
    with app.app_context():
        _import(original)
        db.session.commit()
        first_id = _deals()["0061x00000A3"].id
        again = _import(original)
        db.session.commit()
        assert (again.created, again.updated, again.unchanged) == (0, 0, 11)
        outcome = _import(changed)
        db.session.commit()
        assert (outcome.created, outcome.updated, outcome.unchanged, outcome.rejected) == (0, 1, 10, 1)
        assert db.session.scalar(select(func.count(Deal.id))) == 11
        initech = _deals()["0061x00000A3"]
        assert initech.id == first_id
        assert (initech.outcome, initech.amount_cents, initech.stage) == (DealOutcome.WON, 995_000, "Closed Won")
        assert initech.updated_at == NOW
        assert outcome.changed_outcome_ids == [first_id]


def test_dry_run_saves_nothing_but_counts_what_would_change(app, users):
    with app.app_context():
        outcome = _import("salesforce_opportunities.csv", dry_run=True)
        assert (outcome.created, outcome.rejected) == (11, 1)
        db.session.commit()
        assert db.session.scalar(select(func.count(Deal.id))) == 0


def test_a_file_we_cannot_read_is_refused_as_a_whole(app):
    with app.app_context():
        with pytest.raises(ImportProblem, match="Excel workbook"):
            _import(b"PK\x03\x04" + b"\x00" * 100)
        with pytest.raises(ImportProblem, match="does not look like a Hubspot export"):
            _import("salesforce_opportunities.csv", fmt="hubspot")


def test_an_overlong_deal_id_is_rejected_with_its_line(app):
    data = ("Opportunity ID,Opportunity Name,Stage\n" + "X" * 101 + ",Too long,Closed Won\nOK-1,Fine,Closed Lost\n")
    with app.app_context():
        outcome = _import(data.encode())
        assert outcome.created == 1
        assert [(e.line, e.reason) for e in outcome.errors] == [(2, "The deal ID is longer than 100 characters.")]


def test_owners_with_the_same_name_are_not_guessed(app):
    data = b"Opportunity ID,Opportunity Name,Stage,Opportunity Owner\nD-1,One,Closed Won,Sam Lee\n"
    with app.app_context():
        make_user(email="sam1@example.test", name="Sam Lee")
        make_user(email="sam2@example.test", name="Sam Lee")
        db.session.commit()
        _import(data)
        db.session.commit()
        deal = _deals()["D-1"]
        assert (deal.owner_id, deal.owner_name) == (None, "Sam Lee")


def test_cli_imports_and_prints_counts_and_each_rejection(app, runner, users):
    result = runner.invoke(args=["deals", "import", str(CRM / "salesforce_opportunities.csv")])
    assert result.exit_code == 0, result.output
    assert "line 9: rejected: Amount 'about 20k' is not a number." in result.output
    assert "created 11, updated 0, unchanged 0, rejected 1" in result.output
    again = runner.invoke(args=["deals", "import", str(CRM / "salesforce_opportunities.csv"), "--format",
                                "salesforce"])
    assert "created 0, updated 0, unchanged 11, rejected 1" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Deal.id))) == 11


def test_cli_dry_run_and_russian_file(app, runner):
    result = runner.invoke(args=["deals", "import", str(CRM / "bitrix_ru_cp1251.csv"), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would have created 6, updated 0, unchanged 0, rejected 1; nothing saved" in result.output
    assert "line 8: rejected: Amount 'двести тысяч' is not a number." in result.output
    assert "cp1251" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Deal.id))) == 0
    result = runner.invoke(args=["deals", "import", str(CRM / "hubspot_deals.csv")])
    assert "created 9, updated 0, unchanged 0, rejected 1" in result.output
    assert "line 8: rejected: Close date '2024-13-45 00:00'" in result.output


def test_cli_refuses_a_file_of_the_wrong_format(app, runner):
    result = runner.invoke(args=["deals", "import", str(CRM / "hubspot_deals.csv"), "--format", "salesforce"])
    assert result.exit_code != 0
    assert "nothing was imported" in result.output and "Salesforce export" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Deal.id))) == 0
