"""Calls find their deals: participants' emails, then their company's domain, matched against the contacts the CRM
import keeps; the link shown with its reason on the call page, editable there, never guessed across accounts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from enable.auth.models import Role
from enable.calls.models import Call
from enable.deals.csv_import import parse_contacts, parse_deals
from enable.deals.importing import import_deals
from enable.deals.models import Deal, DealContact
from enable.extensions import db
from enable.sources import folders
from tests.sources.helpers import speech_wav

NOW = datetime(2026, 3, 1, tzinfo=UTC)
HUBSPOT = (
    "Record ID,Deal Name,Deal Stage,Amount,Close Date,Create Date,Deal owner,Associated Company,Associated Contact\n"
    "1,Acme expansion,Appointment scheduled,1000,2026-06-01,2026-01-02,rep@example.test,Acme,"
    "\"Anna Petrova (anna@acme.example); Boris (boris@acme.example)\"\n"
    "2,Acme first order,Closed won,500,2025-06-01,2025-01-02,rep@example.test,Acme,anna@acme.example\n"
    "3,Globex pilot,Appointment scheduled,900,2026-06-01,2026-01-02,rep@example.test,Globex,joe@globex.example\n"
    "4,Initech seats,Appointment scheduled,900,2026-06-01,2026-01-02,rep@example.test,Initech,pm@initech.example\n"
    "5,Initech support,Appointment scheduled,900,2026-06-01,2026-01-02,rep@example.test,Initech,"
    "ops@initech.example\n"
)


def test_contacts_are_read_as_exports_write_them():
    assert parse_contacts("Anna Petrova (Anna@Acme.example); bob@acme.example") == (
        ("anna@acme.example", "Anna Petrova"), ("bob@acme.example", None))
    assert parse_contacts("Anna <anna@acme.example>, Bob <bob@acme.example>") == (
        ("anna@acme.example", "Anna"), ("bob@acme.example", "Bob"))
    assert parse_contacts("no email here") == ()


def test_the_crm_import_keeps_contacts_and_a_reimport_replaces_them(app):
    with app.app_context():
        outcome = import_deals(parse_deals(HUBSPOT.encode()), actor=None, now=NOW)
        db.session.commit()
        assert outcome.created == 5
        acme = db.session.scalar(select(Deal).where(Deal.external_id == "1"))
        assert [(c.email, c.name) for c in acme.contacts] == [("anna@acme.example", "Anna Petrova"),
                                                               ("boris@acme.example", "Boris")]
        again = import_deals(parse_deals(HUBSPOT.replace("Boris (boris@acme.example)", "carl@acme.example")
                                         .encode()), actor=None, now=NOW)
        db.session.commit()
        assert again.updated == 1 and again.unchanged == 4
        emails = db.session.scalars(select(DealContact.email).where(DealContact.deal_id == acme.id)
                                    .order_by(DealContact.email)).all()
        assert emails == ["anna@acme.example", "carl@acme.example"]


def _drop(drop: Path, name: str, variant: int, participants: list[str]) -> None:
    speech_wav(drop / f"{name}.wav", variant)
    (drop / f"{name}.json").write_text(json.dumps({"rep_email": "rep@example.test",
                                                   "participants": participants + ["rep@example.test"]}))


def test_calls_find_their_deal_by_participants_never_across_accounts(app, users, drop, login):
    with app.app_context():
        import_deals(parse_deals(HUBSPOT.encode()), actor=None, now=NOW)
        db.session.commit()
    _drop(drop, "a-email", 0, ["Anna <anna@acme.example>"])
    _drop(drop, "b-domain", 1, ["newcomer@acme.example"])
    _drop(drop, "c-two-accounts", 2, ["anna@acme.example", "joe@globex.example"])
    _drop(drop, "d-two-open-deals", 3, ["someone@initech.example"])
    _drop(drop, "e-free-mail", 4, ["someone@gmail.com"])
    with app.app_context():
        report = folders.scan_folder(drop, queue=False)
        calls = {f.name: db.session.get(Call, f.call_id) for f in report.files}
        deal_of = {name: (call.deal.name if call.deal else None) for name, call in calls.items()}
        assert deal_of == {"a-email.wav": "Acme expansion", "b-domain.wav": "Acme expansion",
                           "c-two-accounts.wav": None, "d-two-open-deals.wav": None, "e-free-mail.wav": None}
        ids = {name: call.id for name, call in calls.items()}

    manager = login(Role.ENABLEMENT)
    page = manager.get(f"/calls/{ids['a-email.wav']}").get_data(as_text=True)
    assert "Acme expansion" in page and "Matched by the email of anna@acme.example (account Acme)" in page
    assert "Matched by the domain acme.example" in manager.get(f"/calls/{ids['b-domain.wav']}").get_data(as_text=True)
    page = manager.get(f"/calls/{ids['c-two-accounts.wav']}").get_data(as_text=True)
    assert "Participants match several accounts (Acme, Globex); no deal was chosen" in page
    page = manager.get(f"/calls/{ids['d-two-open-deals.wav']}").get_data(as_text=True)
    assert "Account Initech has 2 open deals" in page
    page = manager.get(f"/calls/{ids['e-free-mail.wav']}").get_data(as_text=True)
    assert "No deal&#39;s contact matches" in page

    with app.app_context():  # a person picks the deal on the call's edit page: the reason says so
        globex = db.session.scalar(select(Deal).where(Deal.external_id == "3")).id
    response = manager.post(f"/calls/{ids['c-two-accounts.wav']}/edit",
                            data={"title": "Two accounts", "rep": str(users[Role.REP]), "deal": str(globex),
                                  "call_date": "", "stage": ""})
    assert response.status_code == 302
    page = manager.get(f"/calls/{ids['c-two-accounts.wav']}").get_data(as_text=True)
    assert "Globex pilot" in page and "Chosen by a person." in page
