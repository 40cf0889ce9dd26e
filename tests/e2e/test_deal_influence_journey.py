"""In a real browser: an enablement lead imports the CRM export, marks a playbook used on a deal, opens the deal
influence report and downloads its CSV, which holds the figures the page shows."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from enable.auth.models import Role
from enable.deals.models import Deal
from enable.extensions import db
from enable.usage import UsageKind
from tests.deals.makers import make_playbook, use
from tests.factories import PASSWORD
from tests.reports.pagetables import page_tables

pytestmark = pytest.mark.browser
CRM = Path(__file__).parent.parent / "data" / "crm"


def _sign_in(page, base, email):
    page.goto(f"{base}/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{base}/")


def test_enablement_lead_opens_deal_influence_and_downloads_its_csv(app, live_server, page, users, shot, tmp_path):
    with app.app_context():
        playbook = make_playbook(title="Pricing playbook")
        db.session.commit()
        playbook_id = playbook.id

    _sign_in(page, live_server, "enablement@example.test")
    page.click("nav >> text=Deals")
    page.click("text=Import from CRM")
    page.set_input_files("input[name=file]", str(CRM / "salesforce_opportunities.csv"))
    page.click("button:has-text('Preview')")
    page.wait_for_url(f"{live_server}/deals/import/*")
    assert page.locator("text=Amount 'about 20k' is not a number.").is_visible()
    shot(page, "import-preview")
    page.click("button:has-text('Import these deals')")
    assert page.locator("h1", has_text="Import finished").is_visible()
    shot(page, "import-result")

    page.click("text=Open the deals")
    page.click("text=Acme platform renewal")
    page.select_option("select[name=item]", f"playbook:{playbook_id}")
    page.click("button:has-text('Mark as used')")
    assert page.locator("text=Marked as used on this deal.").is_visible()
    shot(page, "deal-page")

    with app.app_context():  # the rest of the history: used on two more closed deals
        deals = {d.external_id: d.id for d in db.session.scalars(select(Deal))}
        for external_id in ("0061x00000A2", "0061x00000A4"):
            use(users[Role.REP], UsageKind.USED_ON_DEAL, "playbook", playbook_id,
                db.session.get(Deal, deals[external_id]).created_at, deal_id=deals[external_id])
        db.session.commit()

    page.click("nav >> text=Reports")
    page.click("text=Deal influence")
    page.wait_for_url(f"{live_server}/reports/influence")
    assert page.locator("svg[role=img] >> title", has_text="Win rates").count() == 1
    row = page.locator("table[data-table=items] tbody tr").first
    assert "Pricing playbook" in row.inner_text()
    shot(page, "deal-influence")

    with page.expect_download() as info:
        page.click("#table-items >> text=Download CSV")
    download = info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert download.suggested_filename.startswith("deal-influence-items-")
    rows = list(csv.reader(io.StringIO(saved.read_bytes().decode("utf-8-sig"), newline="")))
    assert rows == page_tables(page.content())["items"]
    figures = dict(zip(rows[0], rows[1], strict=True))
    # Used on A1 (won), A2 (lost), A4 (won); the other closed deals: A6, B1 lost, A8, B3 won.
    assert (figures["Deals used"], figures["Won used"], figures["Win rate used %"]) == ("3", "2", "66.7")
    assert (figures["Deals not used"], figures["Won not used"], figures["Win rate not used %"]) == ("4", "2", "50.0")
    assert figures["Note"].startswith("Too few closed deals to conclude anything")
