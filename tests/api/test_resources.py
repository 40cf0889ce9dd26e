"""Every API endpoint on a seeded site: what it returns, who may use it, and that read tokens cannot write."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from enable.auth.models import Role
from enable.bites.models import BiteTag
from enable.calls.models import Call
from enable.deals.models import Deal
from enable.extensions import db
from enable.search.models import SearchLog
from enable.taxonomy.models import Tag, TagKind
from enable.usage import UsageEvent
from tests.calls.helpers import AUDIO, sample_transcript

# Calls ----------------------------------------------------------------------------------------------------------


def test_calls_list_get_status_and_bites(api, world):
    manager = api(Role.MANAGER, "read")
    listed = manager.get("/calls")
    assert listed.status_code == 200
    body = listed.get_json()
    assert [c["id"] for c in body["data"]] == [world.call_id]
    assert body["data"][0]["status"] == "ready" and body["data"][0]["bites"] == len(world.bite_ids)
    assert body["next_cursor"] is None

    call = api(Role.REP, "read").get(f"/calls/{world.call_id}").get_json()
    assert call["title"] and call["progress"] == 1.0 and call["deal_id"] == world.deal_ids["CRM-1"]

    status = manager.get(f"/calls/{world.call_id}/status").get_json()
    assert status == {**status, "id": world.call_id, "status": "ready", "active": False, "error": None}

    bites = api(Role.REP, "read").get(f"/calls/{world.call_id}/bites?limit=1")
    assert bites.status_code == 200
    page = bites.get_json()
    assert [b["id"] for b in page["data"]] == world.bite_ids[:1]
    rest = api(Role.REP, "read").get(f"/calls/{world.call_id}/bites?limit=1&cursor={page['next_cursor']}")
    assert [b["id"] for b in rest.get_json()["data"]] == world.bite_ids[1:2]


def test_calls_management_is_for_managers_and_a_rep_gets_403(api, world):
    rep = api(Role.REP)
    listed = rep.get("/calls")  # as on the site: a rep lists their own calls and their team's
    assert listed.status_code == 200 and [c["id"] for c in listed.get_json()["data"]] == [world.call_id]
    assert rep.get(f"/calls/{world.call_id}/status").status_code == 403
    assert rep.delete(f"/calls/{world.call_id}").status_code == 403
    assert rep.post("/calls", data={"file": (io.BytesIO(b"x"), "a.ogg")}).status_code == 403


def test_unknown_call_is_404_in_the_error_shape(api):
    response = api(Role.ADMIN).get("/calls/424242")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert api(Role.ADMIN).get(f"/calls/{2**40}").status_code == 404  # beyond any id: no database error


@pytest.mark.parametrize(("fmt", "media", "needle"), [
    ("vtt", "text/vtt", "WEBVTT"),
    ("srt", "application/x-subrip", "1\n00:00:"),
    ("txt", "text/plain", ":"),
])
def test_transcript_formats(api, world, fmt, media, needle):
    response = api(Role.REP, "read").get(f"/calls/{world.call_id}/transcript?format={fmt}")
    assert response.status_code == 200
    assert response.mimetype == media
    text = response.get_data(as_text=True)
    assert needle in text
    first_words = sample_transcript("negotiation-price").segments[0].text.split()[:3]
    assert " ".join(first_words) in " ".join(text.split())


def test_transcript_json_is_the_stored_transcript(api, world):
    response = api(Role.REP, "read").get(f"/calls/{world.call_id}/transcript")
    assert response.status_code == 200
    data = response.get_json()
    stored = sample_transcript("negotiation-price")
    assert data["language"] == stored.language
    assert [s["text"] for s in data["segments"]] == [s.text for s in stored.segments]
    assert api(Role.REP).get(f"/calls/{world.call_id}/transcript?format=doc").status_code == 400


def test_upload_sniffs_refuses_and_deduplicates(api, api_app, world):
    manager = api(Role.MANAGER)
    recording = (AUDIO / "short_en.ogg").read_bytes()
    first = manager.post("/calls", data={"file": (io.BytesIO(recording), "short.ogg"), "title": "API upload",
                                         "rep_id": str(world.users[Role.REP])})
    assert first.status_code == 201, first.get_json()
    call = first.get_json()["call"]
    assert call["title"] == "API upload" and call["rep_id"] == world.users[Role.REP]
    assert first.get_json()["created"] is True and call["status"] == "queued" and call["duration_s"] > 0
    again = manager.post("/calls", data={"file": (io.BytesIO(recording), "copy.ogg")})
    assert again.status_code == 200 and again.get_json()["call"]["id"] == call["id"]
    assert again.get_json()["created"] is False

    text = manager.post("/calls", data={"file": (io.BytesIO(b"notes " * 500), "notes.mp3")})
    assert text.status_code == 201
    assert text.get_json()["call"]["status"] == "failed" and text.get_json()["call"]["error"]

    assert manager.post("/calls", data={"title": "no file"}).status_code == 400
    bad_rep = manager.post("/calls", data={"file": (io.BytesIO(recording), "b.ogg"), "rep_id": "999999"})
    assert bad_rep.status_code == 422 and bad_rep.get_json()["error"]["code"] == "invalid"  # no such rep here

    assert manager.delete(f"/calls/{call['id']}").status_code == 204
    assert manager.get(f"/calls/{call['id']}").status_code == 404
    with api_app.app_context():
        assert db.session.get(Call, call["id"]) is None


def test_upload_over_the_size_limit_is_413(api, api_app):
    api_app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        response = api(Role.MANAGER).post("/calls", data={"file": (io.BytesIO(b"\0" * 4096), "big.wav")})
    finally:
        api_app.config["MAX_CONTENT_LENGTH"] = api_app.config["MAX_UPLOAD_MB"] * 1024 * 1024
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


# Bites ----------------------------------------------------------------------------------------------------------


def test_bite_search_uses_the_site_syntax_facets_and_logs_the_search(api, api_app, world):
    rep = api(Role.REP, "read")
    response = rep.get("/bites?q=price&objection=price&limit=5")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["total"] >= 1 and body["data"]
    assert all(any(t["kind"] == "objection" and t["key"] == "price" for t in row["bite"]["tags"])
               for row in body["data"])
    objection = next(f for f in body["facets"] if f["field"] == "objection")
    assert any(o["value"] == "price" and o["selected"] for o in objection["options"])
    assert "<mark>" in " ".join(row["snippet_html"] for row in body["data"])
    nothing = rep.get('/bites?q="zebra crossing quantum"').get_json()
    assert nothing["total"] == 0 and nothing["data"] == [] and nothing["next_cursor"] is None
    with api_app.app_context():
        assert db.session.scalar(select(SearchLog).where(SearchLog.query == "price")) is not None


def test_bite_get_and_tag_editing(api, api_app, world):
    bite_id = world.bite_ids[-1]
    bite = api(Role.REP, "read").get(f"/bites/{bite_id}").get_json()
    assert bite["id"] == bite_id and bite["call_id"] == world.call_id and bite["text"]
    with api_app.app_context():
        tag_id = db.session.scalar(select(Tag.id).where(Tag.kind == TagKind.COMPETITOR).order_by(Tag.id))
    assert all(t["id"] != tag_id for t in bite["tags"])

    assert api(Role.MANAGER).post(f"/bites/{bite_id}/tags", json={"tag_id": tag_id}).status_code == 403
    assert api(Role.ENABLEMENT, "read").post(f"/bites/{bite_id}/tags", json={"tag_id": tag_id}).status_code == 403
    added = api(Role.ENABLEMENT).post(f"/bites/{bite_id}/tags", json={"tag_id": tag_id})
    assert added.status_code == 201
    assert any(t["id"] == tag_id and t["source"] == "manual" for t in added.get_json()["tags"])
    twice = api(Role.ENABLEMENT).post(f"/bites/{bite_id}/tags", json={"tag_id": tag_id})
    assert twice.status_code == 400 and twice.get_json()["error"]["code"] == "invalid"
    assert api(Role.ENABLEMENT).post(f"/bites/{bite_id}/tags", json={"tag_id": "x"}).status_code == 400

    removed = api(Role.ENABLEMENT).delete(f"/bites/{bite_id}/tags/{tag_id}")
    assert removed.status_code == 200
    assert all(t["id"] != tag_id for t in removed.get_json()["tags"])
    with api_app.app_context():
        link = db.session.scalar(select(BiteTag).where(BiteTag.bite_id == bite_id, BiteTag.tag_id == tag_id))
        assert link is not None and link.is_removed


# Playlists ------------------------------------------------------------------------------------------------------


def test_playlists_create_add_remove_delete_and_privacy(api, world):
    rep = api(Role.REP)
    created = rep.post("/playlists", json={"name": "  Price   wins ", "description": "best"})
    assert created.status_code == 201
    playlist = created.get_json()
    assert playlist["name"] == "Price wins" and playlist["items"] == [] and playlist["shared"] is False
    pid = playlist["id"]
    added = rep.post(f"/playlists/{pid}/items", json={"bite_id": world.bite_ids[0]})
    assert added.status_code == 201
    item = added.get_json()["items"][0]
    assert item["bite_id"] == world.bite_ids[0]
    duplicate = rep.post(f"/playlists/{pid}/items", json={"bite_id": world.bite_ids[0]})
    assert duplicate.status_code == 422 and duplicate.get_json()["error"]["code"] == "invalid"
    assert pid in [p["id"] for p in rep.get("/playlists").get_json()["data"]]

    # Another team's rep does not see it; the manager sees it only once shared, and cannot change it.
    assert api(Role.MANAGER).get(f"/playlists/{pid}").status_code == 404
    assert api(Role.ENABLEMENT).get(f"/playlists/{pid}").status_code == 200
    assert api(Role.REP, "read").post(f"/playlists/{pid}/items", json={"bite_id": world.bite_ids[1]}).status_code \
        == 403
    assert rep.post("/playlists", json={"name": ""}).status_code == 400  # minLength 1 in the document
    assert rep.post("/playlists", data="name=x").status_code == 400

    assert rep.delete(f"/playlists/{pid}/items/{item['id']}").get_json()["items"] == []
    assert rep.delete(f"/playlists/{pid}").status_code == 204
    assert rep.get(f"/playlists/{pid}").status_code == 404


# Playbooks, assets ----------------------------------------------------------------------------------------------


def test_playbooks_and_assets(api, world):
    rep = api(Role.REP, "read")
    listed = rep.get("/playbooks?limit=2")
    assert listed.status_code == 200
    first = listed.get_json()
    assert len(first["data"]) == 2 and first["next_cursor"]
    second = rep.get(f"/playbooks?limit=2&cursor={first['next_cursor']}").get_json()
    assert {p["id"] for p in first["data"]}.isdisjoint({p["id"] for p in second["data"]})
    playbook = rep.get(f"/playbooks/{first['data'][0]['id']}").get_json()
    assert playbook["body_markdown"] and "<" in playbook["body_html"] and playbook["version"] >= 1
    assert "<script" not in playbook["body_html"]
    assert rep.get("/playbooks?stage=negotiation").get_json()["data"][0]["stage"] == "negotiation"

    assets = rep.get("/assets?kind=battlecard").get_json()["data"]
    assert [a["id"] for a in assets] == [world.asset_id]
    asset = rep.get(f"/assets/{world.asset_id}").get_json()
    assert asset["url"] == "https://example.com/pricing" and asset["download_url"] is None
    assert rep.get("/assets?kind=poster").status_code == 400
    assert rep.get("/playbooks?cursor=not-a-cursor").get_json()["error"]["code"] == "invalid"


# Learning -------------------------------------------------------------------------------------------------------


def test_tracks_progress_certifications_and_awards(api, api_app, world):
    tracks = api(Role.ENABLEMENT, "read").get("/tracks")
    assert tracks.status_code == 200 and tracks.get_json()["data"][0]["steps"]
    assert api(Role.MANAGER).get("/tracks").status_code == 403

    from enable.learning import tracks as track_services
    from enable.learning.models import Track

    with api_app.app_context():
        from enable.auth.models import User
        from enable.db import utcnow

        rep = db.session.get(User, world.users[Role.REP])
        track = db.session.scalars(select(Track)).first()
        track_services.assign_track(track, [rep], start=utcnow().date(), actor=None, now=utcnow())
        db.session.commit()
        track_id, steps = track.id, len(track.steps)

    mine = api(Role.REP, "read").get(f"/users/{world.users[Role.REP]}/progress").get_json()["data"]
    assert [a["track_id"] for a in mine] == [track_id]
    assert mine[0]["steps_total"] == steps and len(mine[0]["steps"]) == steps
    assert api(Role.MANAGER).get(f"/users/{world.users[Role.REP]}/progress").status_code == 200  # their team
    assert api(Role.REP).get(f"/users/{world.other_rep}/progress").status_code == 404  # not theirs to see
    assert api(Role.MANAGER).get(f"/users/{world.other_rep}/progress").status_code == 404  # another team

    certs = api(Role.REP, "read").get("/certifications").get_json()["data"]
    assert certs and certs[0]["requirements"]
    awards = api(Role.REP, "read").get(f"/users/{world.users[Role.REP]}/awards")
    assert awards.status_code == 200 and awards.get_json()["data"] == []
    assert api(Role.REP).get(f"/users/{world.other_rep}/awards").status_code == 404


# Deals, usage ---------------------------------------------------------------------------------------------------


def test_deals_list_follows_ownership(api, world):
    mine = api(Role.REP, "read").get("/deals").get_json()["data"]
    assert [d["external_id"] for d in mine] == ["CRM-1"]
    everyone = api(Role.MANAGER, "read").get("/deals?outcome=won").get_json()["data"]
    assert [d["external_id"] for d in everyone] == ["CRM-2"]


def test_deals_batch_upserts_through_the_import(api, api_app, world):
    enablement = api(Role.ENABLEMENT)
    deals = [{"external_id": "CRM-1", "name": "Acme renewal", "outcome": "won", "amount_cents": 1250000,
              "currency": "EUR", "close_on": "2026-10-01", "owner": "rep@example.test"},
             {"external_id": "CRM-77", "name": "Initech", "outcome": "open"},
             {"external_id": "CRM-78", "outcome": "maybe"}]
    dry = enablement.post("/deals/batch", json={"deals": deals, "dry_run": True}).get_json()
    assert (dry["dry_run"], dry["created"], dry["updated"], dry["rejected"]) == (True, 1, 1, 1)
    with api_app.app_context():
        assert db.session.scalar(select(Deal).where(Deal.external_id == "CRM-77")) is None

    done = enablement.post("/deals/batch", json={"deals": deals})
    assert done.status_code == 200
    result = done.get_json()
    assert (result["created"], result["updated"], result["rejected"]) == (1, 1, 1)
    assert result["errors"][0]["index"] == 2 and "name" in result["errors"][0]["reason"]
    with api_app.app_context():
        acme = db.session.scalar(select(Deal).where(Deal.external_id == "CRM-1"))
        assert (acme.outcome.value, acme.amount_cents, acme.owner_id) == ("won", 1250000, world.users[Role.REP])
        assert db.session.scalar(select(Deal).where(Deal.external_id == "CRM-77")).source == "api"
    again = enablement.post("/deals/batch", json={"deals": deals[:2]}).get_json()
    assert again["unchanged"] == 2

    assert api(Role.MANAGER).post("/deals/batch", json={"deals": deals}).status_code == 403
    assert api(Role.ENABLEMENT, "read").post("/deals/batch", json={"deals": deals}).status_code == 403
    assert enablement.post("/deals/batch", json={"deals": []}).status_code == 400


def test_usage_events_are_recorded_for_the_token_owner(api, api_app, world):
    rep = api(Role.REP)
    bite_id = world.bite_ids[0]
    play = rep.post("/usage-events", json={"kind": "play", "item_type": "bite", "item_id": bite_id, "seconds": 30,
                                           "deal_id": world.deal_ids["CRM-1"]})
    assert play.status_code == 201
    event = play.get_json()
    assert (event["kind"], event["seconds"], event["user_id"], event["deal_id"]) == (
        "play", 30.0, world.users[Role.REP], world.deal_ids["CRM-1"])
    used = rep.post("/usage-events", json={"kind": "used_on_deal", "item_type": "asset", "item_id": world.asset_id,
                                           "deal_id": world.deal_ids["CRM-1"]})
    assert used.status_code == 201
    # Someone else's deal, an unknown item, a bad kind, a read token.
    assert rep.post("/usage-events", json={"kind": "used_on_deal", "item_type": "asset", "item_id": world.asset_id,
                                           "deal_id": world.deal_ids["CRM-2"]}).status_code == 403
    assert rep.post("/usage-events", json={"kind": "view", "item_type": "bite", "item_id": 999999}).status_code == 404
    assert rep.post("/usage-events", json={"kind": "like", "item_type": "bite", "item_id": bite_id}).status_code == 400
    assert api(Role.REP, "read").post("/usage-events", json={"kind": "view", "item_type": "bite",
                                                              "item_id": bite_id}).status_code == 403
    with api_app.app_context():
        events = db.session.scalars(select(UsageEvent).where(UsageEvent.user_id == world.users[Role.REP])).all()
        assert {(e.kind.value, e.item_type) for e in events} >= {("play", "bite"), ("used_on_deal", "asset")}


# Reports --------------------------------------------------------------------------------------------------------


def test_every_report_as_json_for_managers(api, world):
    from enable.reports.registry import REPORTS

    manager = api(Role.MANAGER, "read")
    listed = manager.get("/reports").get_json()["data"]
    assert len(listed) == len(REPORTS)  # every report of the reports page is in the API
    for report in listed:
        response = manager.get(f"/reports/{report['name']}")
        assert response.status_code == 200, report
        body = response.get_json()
        assert body["tables"] and all(len(row) == len(t["columns"]) for t in body["tables"] for row in t["rows"])
        assert body["team_ids"] == [world.team_id]  # a manager reads their own team only
    usage = api(Role.ADMIN, "read").get("/reports/content-usage?start=2020-01-01&end=2024-12-31").get_json()
    assert usage["team_ids"] is None and usage["start"] == "2020-01-01"
    assert manager.get("/reports/content-usage?start=yesterday").status_code == 400
    assert manager.get("/reports/nonsense").status_code == 404
    assert api(Role.REP, "read").get("/reports/content-usage").status_code == 403


def test_bite_search_pages_with_the_cursor(api, world):
    rep = api(Role.REP, "read")
    first = rep.get("/bites?limit=1&sort=date").get_json()
    assert first["total"] == len(world.bite_ids) == 2 and len(first["data"]) == 1 and first["next_cursor"]
    second = rep.get(f"/bites?limit=1&sort=date&cursor={first['next_cursor']}").get_json()
    assert len(second["data"]) == 1 and second["next_cursor"] is None
    assert {first["data"][0]["bite"]["id"], second["data"][0]["bite"]["id"]} == set(world.bite_ids)


def test_asset_file_download_is_counted(api, api_app, world):
    from enable.db import utcnow
    from enable.playbooks import assets as asset_services
    from enable.playbooks.models import AssetKind

    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    with api_app.app_context():
        from enable.auth.models import User

        stored = asset_services.store_upload(io.BytesIO(pdf), api_app.config["MEDIA_DIR"], 10_000)
        asset = asset_services.create_asset(title="Case study", kind=AssetKind.CASE_STUDY, description="", url=None,
                                            stored=stored, original_filename="acme.pdf", tag_ids=[],
                                            creator=db.session.get(User, world.users[Role.ENABLEMENT]),
                                            now=utcnow())
        db.session.commit()
        asset_id = asset.id
    rep = api(Role.REP, "read")
    described = rep.get(f"/assets/{asset_id}").get_json()
    assert described["is_file"] and described["download_url"].endswith(f"/api/v1/assets/{asset_id}/file")
    response = rep.get(f"/assets/{asset_id}/file")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data == pdf and "attachment" in response.headers["Content-Disposition"]
    assert rep.get(f"/assets/{world.asset_id}/file").status_code == 404  # a link asset has no file
    with api_app.app_context():
        downloads = db.session.scalars(select(UsageEvent).where(UsageEvent.item_id == asset_id,
                                                                UsageEvent.item_type == "asset")).all()
        assert [e.kind.value for e in downloads] == ["download"]
