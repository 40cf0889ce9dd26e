"""The deal pages in the browser's shoes: import with preview, column mapping, who sees which deal, calls, usage."""

from __future__ import annotations

import io
import re
from pathlib import Path

from sqlalchemy import func, select

from enable.auth.models import Role
from enable.deals.models import Deal, DealOutcome
from enable.extensions import db
from enable.search.index import SearchQuery
from enable.search.indexing import get_index, index_bites
from enable.usage import UsageEvent, UsageKind
from tests.deals.makers import make_bite, make_call, make_deal, make_playbook
from tests.factories import PASSWORD

CRM = Path(__file__).parent.parent / "data" / "crm"


def _upload(client, data: bytes, filename: str = "export.csv", fmt: str = "auto"):
    return client.post("/deals/import", data={"file": (io.BytesIO(data), filename), "format": fmt},
                       content_type="multipart/form-data")


def _deal_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Deal.id)))


def test_upload_preview_then_confirm_imports_the_good_rows(app, login):
    client = login(Role.ENABLEMENT)
    response = _upload(client, (CRM / "salesforce_opportunities.csv").read_bytes(), "opps.csv")
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    token = preview_url.rstrip("/").rsplit("/", 1)[1]
    # The file waits in the data folder under its token, not in the session cookie.
    kept = Path(app.config["ENABLE_DATA_DIR"]) / "imports" / f"{token}.csv"
    assert kept.read_bytes() == (CRM / "salesforce_opportunities.csv").read_bytes()
    assert len(response.headers.get("Set-Cookie", "")) < 1000

    page = client.get(preview_url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Format: salesforce" in html and "opps.csv" in html
    assert re.search(r'class="stat">11</span> new', html) and re.search(r'class="stat">1</span> rejected', html)
    assert "Amount &#39;about 20k&#39; is not a number." in html
    assert "<td class=\"num\">9</td>" in html  # the rejected line's number
    assert "Acme platform renewal" in html
    assert _deal_count(app) == 0  # nothing saved before the confirmation

    result = client.post(f"/deals/import/{token}/confirm")
    html = result.get_data(as_text=True)
    assert result.status_code == 200
    assert "Import finished" in html and re.search(r'class="stat">11</span> created', html)
    assert _deal_count(app) == 11
    assert not kept.exists()
    assert client.get(preview_url).status_code == 404  # the upload is gone once imported


def test_unknown_columns_go_through_the_mapping_step(app, login):
    client = login(Role.ENABLEMENT)
    data = "Code;Customer;Label;Sum;Result\nA-1;Acme;Renewal;1 250,50;Closed Won\nA-2;Globex;Pilot;oops;Lost\n"
    response = _upload(client, data.encode("cp1251"))
    preview_url = response.headers["Location"]
    token = preview_url.rsplit("/", 1)[1]
    page = client.get(preview_url)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "We could not recognise the columns of this file" in html
    assert 'name="col_external_id"' in html and "<option value=\"Customer\">Customer</option>" in html

    incomplete = client.post(f"/deals/import/{token}/mapping", data={"col_name": "Label"})
    assert incomplete.status_code == 302 and "map=1" in incomplete.headers["Location"]

    chosen = client.post(f"/deals/import/{token}/mapping", data={
        "col_external_id": "Code", "col_name": "Label", "col_account": "Customer", "col_amount": "Sum",
        "col_stage": "Result"})
    assert chosen.status_code == 302
    html = client.get(preview_url).get_data(as_text=True)
    assert re.search(r'class="stat">1</span> new', html) and re.search(r'class="stat">1</span> rejected', html)
    assert "Amount &#39;oops&#39; is not a number." in html
    client.post(f"/deals/import/{token}/confirm")
    with app.app_context():
        deal = db.session.scalar(select(Deal).where(Deal.external_id == "A-1"))
        assert (deal.name, deal.account, deal.amount_cents, deal.outcome) == ("Renewal", "Acme", 125_050,
                                                                               DealOutcome.WON)


def test_an_upload_belongs_to_whoever_made_it(app, login, users):
    client = login(Role.ENABLEMENT)
    token = _upload(client, (CRM / "hubspot_deals.csv").read_bytes()).headers["Location"].rsplit("/", 1)[1]
    other = login(Role.ADMIN)
    assert other.get(f"/deals/import/{token}").status_code == 404
    assert other.post(f"/deals/import/{token}/confirm").status_code == 404
    assert client.post(f"/deals/import/{token}/cancel").status_code == 302
    assert client.get(f"/deals/import/{token}").status_code == 404
    assert _deal_count(app) == 0


def test_upload_form_refuses_a_missing_or_non_csv_file(login):
    client = login(Role.ENABLEMENT)
    missing = client.post("/deals/import", data={"format": "auto"}, content_type="multipart/form-data")
    assert missing.status_code == 422 and "Choose the CSV file" in missing.get_data(as_text=True)
    excel = _upload(client, b"PK\x03\x04" + b"\x00" * 40, "deals.xlsx")
    assert excel.status_code == 422 and "Upload a .csv file" in excel.get_data(as_text=True)


def test_reps_see_their_own_deals_managers_see_all(app, login, users):
    with app.app_context():
        mine = make_deal(name="Rep's deal", owner_id=users[Role.REP])
        theirs = make_deal(name="Manager's deal", owner_id=users[Role.MANAGER])
        db.session.commit()
        mine_id, theirs_id = mine.id, theirs.id
    rep = login(Role.REP)
    listing = rep.get("/deals/").get_data(as_text=True)
    assert "Rep&#39;s deal" in listing and "Manager&#39;s deal" not in listing
    assert rep.get(f"/deals/{mine_id}").status_code == 200
    assert rep.get(f"/deals/{theirs_id}").status_code == 403
    manager = login(Role.MANAGER)
    listing = manager.get("/deals/").get_data(as_text=True)
    assert "Rep&#39;s deal" in listing and "Manager&#39;s deal" in listing
    only_won = manager.get("/deals/?outcome=won").get_data(as_text=True)
    assert "Rep&#39;s deal" not in only_won
    assert manager.get(f"/deals/{theirs_id}").status_code == 200
    assert manager.get("/deals/999999").status_code == 404


def test_enablement_links_a_call_and_its_bites_carry_the_outcome(app, login, users):
    with app.app_context():
        deal = make_deal(name="Won deal", outcome=DealOutcome.WON, owner_id=users[Role.REP])
        call = make_call(title="Discovery with Acme")
        bite = make_bite(call, title="Pricing question")
        index_bites([bite.id])
        db.session.commit()
        deal_id, call_id, bite_id = deal.id, call.id, bite.id
        assert get_index().search(SearchQuery(filters={"outcome": ["won"]})).total == 0
    client = login(Role.ENABLEMENT)
    page = client.get(f"/deals/{deal_id}").get_data(as_text=True)
    assert f'<option value="{call_id}">Discovery with Acme' in page
    response = client.post(f"/deals/{deal_id}/calls", data={"call_id": call_id})
    assert response.status_code == 302
    page = client.get(f"/deals/{deal_id}").get_data(as_text=True)
    assert "Discovery with Acme" in page
    assert f'href="/bites/{bite_id}?deal={deal_id}"' in page  # plays from here count for the deal
    with app.app_context():
        hits = get_index().search(SearchQuery(filters={"outcome": ["won"]}))
        assert [h.id for h in hits.hits] == [bite_id]
    assert login(Role.MANAGER).post(f"/deals/{deal_id}/calls/{call_id}/unlink").status_code == 403
    client.post(f"/deals/{deal_id}/calls/{call_id}/unlink")
    with app.app_context():
        assert get_index().search(SearchQuery(filters={"outcome": ["won"]})).total == 0
        assert db.session.scalar(select(func.count(Deal.id)).where(Deal.calls.any())) == 0


def test_rep_marks_content_used_on_own_deal_only(app, login, users):
    with app.app_context():
        mine = make_deal(name="Mine", owner_id=users[Role.REP])
        theirs = make_deal(name="Theirs", owner_id=users[Role.MANAGER])
        playbook = make_playbook(title="Negotiation playbook")
        db.session.commit()
        mine_id, theirs_id, playbook_id = mine.id, theirs.id, playbook.id
    rep = login(Role.REP)
    page = rep.get(f"/deals/{mine_id}").get_data(as_text=True)
    assert f'<option value="playbook:{playbook_id}">Negotiation playbook</option>' in page
    form = {"item_type": "playbook", "item_id": playbook_id, "deal_id": mine_id, "next": f"/playbooks/{playbook_id}"}
    response = rep.post("/deals/used", data=form)
    assert response.status_code == 302 and response.headers["Location"] == f"/playbooks/{playbook_id}"
    rep.post("/deals/used", data=form)  # a second click records nothing more
    assert rep.post("/deals/used", data={**form, "deal_id": theirs_id}).status_code == 403
    assert rep.post("/deals/used", data={**form, "item_id": 999999}).status_code == 404
    assert rep.post("/deals/used", data={**form, "next": "https://evil.example/"}).headers["Location"] == \
        f"/deals/{mine_id}"
    # The deal page's own form names the item as "type:id".
    manager = login(Role.MANAGER)
    assert manager.post("/deals/used", data={"item": f"playbook:{playbook_id}", "deal_id": theirs_id}
                        ).status_code == 302
    with app.app_context():
        events = db.session.execute(select(UsageEvent.user_id, UsageEvent.deal_id, UsageEvent.kind)).all()
        assert sorted(events) == sorted([(users[Role.REP], mine_id, UsageKind.USED_ON_DEAL),
                                         (users[Role.MANAGER], theirs_id, UsageKind.USED_ON_DEAL)])
    page = rep.get(f"/deals/{mine_id}").get_data(as_text=True)
    assert f'<a href="/playbooks/{playbook_id}">Negotiation playbook</a>' in page


def test_import_needs_the_forms_csrf_token(app, users):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    login_page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/auth/login", data={"email": "enablement@example.test", "password": PASSWORD,
                                     "csrf_token": token})
    data = (CRM / "hubspot_deals.csv").read_bytes()
    refused = client.post("/deals/import", data={"file": (io.BytesIO(data), "h.csv"), "format": "auto"},
                          content_type="multipart/form-data")
    assert refused.status_code == 400
    form = client.get("/deals/import").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    accepted = client.post("/deals/import", data={"file": (io.BytesIO(data), "h.csv"), "format": "auto",
                                                  "csrf_token": token}, content_type="multipart/form-data")
    assert accepted.status_code == 302
    preview = client.get(accepted.headers["Location"]).get_data(as_text=True)
    assert 'name="csrf_token"' in preview  # the confirm and cancel buttons carry it too
