"""The role-access matrix: every route, every role. A new route must join ACCESS below."""

from __future__ import annotations

import re

import pytest

from enable.auth.models import Role

PUBLIC = "public"
SIGNED_IN = Role.REP  # any signed-in user

# endpoint -> the least role that may use it (PUBLIC: no sign-in needed).
ACCESS: dict[str, Role | str] = {
    "static": PUBLIC,
    "main.healthz": PUBLIC,
    "main.language": PUBLIC,
    "auth.login": PUBLIC,
    "main.home": SIGNED_IN,
    "auth.logout": SIGNED_IN,
    "auth.logout_everywhere": SIGNED_IN,
    "auth.settings": SIGNED_IN,
    "taxonomy.index": SIGNED_IN,
    "auth.users": Role.ADMIN,
    "auth.user_new": Role.ADMIN,
    "auth.user_edit": Role.ADMIN,
    "auth.user_password": Role.ADMIN,
    "auth.teams": Role.ADMIN,
    "auth.audit_log": Role.ADMIN,
    # issue 3: call ingest
    "calls.index": SIGNED_IN,  # a rep sees their own calls and their team's
    "calls.upload": Role.MANAGER,
    "calls.status": SIGNED_IN,
    "calls.edit": Role.MANAGER,
    "calls.retry": Role.MANAGER,
    "calls.delete": Role.MANAGER,
    "calls.detail": SIGNED_IN,
    "calls.media": SIGNED_IN,
    "calls.vtt": SIGNED_IN,
    # issue 4: find and play
    "search.index": SIGNED_IN,
    "search.browse": SIGNED_IN,
    "search.ask": SIGNED_IN,
    "search.playlists": SIGNED_IN,
    "search.playlist_create": SIGNED_IN,
    "search.playlist_from_search": SIGNED_IN,
    "search.playlist": SIGNED_IN,
    "search.playlist_play": SIGNED_IN,
    "search.playlist_edit": SIGNED_IN,  # owner (or enablement); checked per playlist
    "search.playlist_add": SIGNED_IN,
    "search.playlist_move": SIGNED_IN,
    "search.playlist_reorder": SIGNED_IN,
    "search.playlist_remove_item": SIGNED_IN,
    "search.playlist_share": SIGNED_IN,
    "search.playlist_delete": SIGNED_IN,
    "bites.detail": SIGNED_IN,
    "bites.play": SIGNED_IN,
    "bites.viewed": SIGNED_IN,  # the usage beacons (POST, CSRF), issue 22
    "playbooks.viewed": SIGNED_IN,
    "assets.viewed": SIGNED_IN,
    "search.playlist_viewed": SIGNED_IN,
    "bites.share": SIGNED_IN,
    "bites.tag_add": Role.ENABLEMENT,
    "bites.tag_remove": Role.ENABLEMENT,
    "bites.review": Role.ENABLEMENT,
    "bites.review_decide": Role.ENABLEMENT,
    "bites.best": Role.MANAGER,
    # issue 20 item 3: bite curation (enablement and managers)
    "bites.rename": Role.MANAGER,
    "bites.trim": Role.MANAGER,
    "bites.split": Role.MANAGER,
    "bites.merge": Role.MANAGER,
    # issue 5: playbooks, assets, content governance, links, notifications
    "playbooks.index": SIGNED_IN,
    "playbooks.detail": SIGNED_IN,
    "playbooks.history": SIGNED_IN,
    "playbooks.version": SIGNED_IN,
    "playbooks.diff": SIGNED_IN,
    "playbooks.new": Role.ENABLEMENT,
    "playbooks.edit": Role.ENABLEMENT,
    "assets.index": SIGNED_IN,
    "assets.detail": SIGNED_IN,
    "assets.open_asset": SIGNED_IN,
    "assets.new": Role.ENABLEMENT,
    "assets.edit": Role.ENABLEMENT,
    "governance.stale": SIGNED_IN,
    "governance.item": SIGNED_IN,
    "governance.verify": SIGNED_IN,  # owners and verifiers of any role; checked per item
    "governance.index": Role.ENABLEMENT,
    "governance.settings": Role.ENABLEMENT,
    "governance.archive": Role.ENABLEMENT,
    "governance.restore": Role.ENABLEMENT,
    "governance.retire": Role.ENABLEMENT,
    "governance.archived": Role.ENABLEMENT,
    "governance.stale_report": Role.ENABLEMENT,
    "governance.stale_report_csv": Role.ENABLEMENT,
    "links.report": Role.ENABLEMENT,
    "links.report_csv": Role.ENABLEMENT,
    "links.check": Role.ENABLEMENT,
    "notifications.index": SIGNED_IN,
    "notifications.open_note": SIGNED_IN,
    "notifications.read_all": SIGNED_IN,
    "deals.index": SIGNED_IN,
    "deals.detail": SIGNED_IN,
    "deals.mark_used": SIGNED_IN,
    "deals.import_upload": Role.ENABLEMENT,
    "deals.import_preview": Role.ENABLEMENT,
    "deals.import_mapping": Role.ENABLEMENT,
    "deals.import_confirm": Role.ENABLEMENT,
    "deals.import_cancel": Role.ENABLEMENT,
    "deals.link_call": Role.ENABLEMENT,
    "deals.unlink_call": Role.ENABLEMENT,
    "reports.index": Role.MANAGER,
    "reports.usage": Role.MANAGER,
    "reports.influence": Role.MANAGER,
    "reports.objections": Role.MANAGER,
    "reports.search_gaps": Role.MANAGER,
    "reports.certification_outcomes": Role.MANAGER,
    "reports.onboarding": Role.MANAGER,
    "reports.conversations": Role.MANAGER,
    "learning.index": SIGNED_IN,
    "learning.assignment": SIGNED_IN,
    "learning.read_playbook": SIGNED_IN,
    "learning.read_beacon": SIGNED_IN,
    "learning.read_viewed": SIGNED_IN,  # issue 23 item 6: a playbook read in a track counts as a view
    "learning.take_quiz": SIGNED_IN,
    "learning.attempt": SIGNED_IN,
    "learning.review_page": SIGNED_IN,
    "learning.review_answer": SIGNED_IN,
    "learning.certifications_page": SIGNED_IN,
    "learning.certificate": SIGNED_IN,
    "learning.ack": SIGNED_IN,
    "learning.team": Role.MANAGER,
    "learning.member": Role.MANAGER,
    "learning.member_activity": Role.MANAGER,  # issue 20 item 4: what a rep of the team did, with CSV
    "learning.signoff_step": Role.MANAGER,
    "learning.signoff_requirement": Role.MANAGER,
    "learning.tracks_page": Role.ENABLEMENT,
    "learning.track_edit": Role.ENABLEMENT,
    "learning.step_add": Role.ENABLEMENT,
    "learning.step_move": Role.ENABLEMENT,
    "learning.step_delete": Role.ENABLEMENT,
    "learning.track_assign": Role.ENABLEMENT,
    "learning.quizzes_page": Role.ENABLEMENT,
    "learning.quiz_edit": Role.ENABLEMENT,
    "learning.question_edit": Role.ENABLEMENT,
    "learning.question_move": Role.ENABLEMENT,
    "learning.question_delete": Role.ENABLEMENT,
    "learning.certification": Role.ENABLEMENT,
    # issue 8: the JSON API (tokens only; API_ROUTES below are checked with tokens, not the session) and its pages
    "api_tokens.index": SIGNED_IN,
    "api_tokens.revoke": SIGNED_IN,  # the owner's token (admins: any); checked per token
    "api_tokens.admin": Role.ADMIN,
    "api_tokens.docs": SIGNED_IN,
    "api.openapi_json": PUBLIC,
    "api.calls_list": SIGNED_IN,
    "api.calls_upload": Role.MANAGER,
    "api.calls_get": SIGNED_IN,
    "api.calls_status": Role.MANAGER,
    "api.calls_bites": SIGNED_IN,
    "api.calls_delete": Role.MANAGER,
    "api.calls_transcript": SIGNED_IN,
    "api.bites_search": SIGNED_IN,
    "api.ask_question": SIGNED_IN,
    "api.bites_get": SIGNED_IN,
    "api.bites_tag_add": Role.ENABLEMENT,
    "api.bites_tag_remove": Role.ENABLEMENT,
    "api.bites_rename": Role.MANAGER,
    "api.bites_trim": Role.MANAGER,
    "api.playlists_list": SIGNED_IN,
    "api.playlists_create": SIGNED_IN,
    "api.playlists_get": SIGNED_IN,
    "api.playlists_add_item": SIGNED_IN,  # the owner's playlist (or enablement); checked per playlist
    "api.playlists_remove_item": SIGNED_IN,
    "api.playlists_delete": SIGNED_IN,
    "api.playbooks_list": SIGNED_IN,
    "api.playbooks_get": SIGNED_IN,
    "api.assets_list": SIGNED_IN,
    "api.assets_get": SIGNED_IN,
    "api.assets_file": SIGNED_IN,
    "api.tracks_list": Role.ENABLEMENT,
    "api.users_progress": SIGNED_IN,  # yourself; your team as manager; anyone as enablement
    "api.certifications_list": SIGNED_IN,
    "api.users_awards": SIGNED_IN,
    "api.deals_list": SIGNED_IN,
    "api.deals_batch": Role.ENABLEMENT,
    "api.usage_create": SIGNED_IN,
    "api.reports_list": Role.MANAGER,
    "api.reports_get": Role.MANAGER,
    # issue 8: webhooks and the full export (issue 9: backup)
    "webhooks.index": Role.ADMIN,
    "webhooks.create": Role.ADMIN,
    "webhooks.detail": Role.ADMIN,
    "webhooks.delete": Role.ADMIN,
    "webhooks.send_test": Role.ADMIN,
    "webhooks.redeliver": Role.ADMIN,
    "backup.index": Role.ADMIN,
    "backup.export_download": Role.ADMIN,
    # issue 20: scorecards and feedback requests (who may score, see or ask is checked per call and score)
    "coaching.scorecards": Role.ENABLEMENT,
    "coaching.scorecard_new": Role.ENABLEMENT,
    "coaching.scorecard_edit": Role.ENABLEMENT,
    "coaching.scorecard": Role.ENABLEMENT,
    "coaching.scorecard_archive": Role.ENABLEMENT,
    "coaching.score_call": SIGNED_IN,
    "coaching.score": SIGNED_IN,
    "coaching.request_feedback": SIGNED_IN,
    "coaching.queue": Role.MANAGER,
    "reports.scores": Role.MANAGER,
    "api.scorecards_list": Role.REP,
    "api.call_scores": Role.REP,
    "api.call_scores_create": Role.REP,
    # issue 18: the rep found by voice
    "calls.confirm_rep": Role.MANAGER,  # managers of the call; checked per call
    "auth.voice_delete": SIGNED_IN,  # your own voice profile
    "auth.user_voice_delete": Role.ADMIN,
    # issue 20: email delivery of notifications
    "notifications.settings": SIGNED_IN,  # your own email choices
    "notifications.outbox": Role.ADMIN,
    "notifications.outbox_test": Role.ADMIN,
    "notifications.outbox_retry": Role.ADMIN,
    # issue 21: calls arrive by themselves
    "sources.index": Role.ENABLEMENT,
    "sources.unassigned": Role.ENABLEMENT,
    "sources.assign": Role.ENABLEMENT,
    "sources.zoom_webhook": PUBLIC,  # checked by Zoom's signature (x-zm-signature), not a session
    "sources.recording_ready": PUBLIC,  # checked by its HMAC signature header, not a session
    # issue 20: comments at the second (who reads which comment is checked per call and comment)
    "comments.create": SIGNED_IN,
    "comments.edit": SIGNED_IN,  # the author only
    "comments.delete": SIGNED_IN,  # the author, or enablement and admins
    "comments.hide": Role.ENABLEMENT,
    "api.calls_comments": SIGNED_IN,
    "api.calls_comment_create": SIGNED_IN,
    "api.bites_comments": SIGNED_IN,
    "api.bites_comment_create": SIGNED_IN,
}
# Routes that only a personal API token authenticates: a session cookie gets 401 there (so no CSRF hole), and
# test_api_role_matrix checks them with a read-write token of each role.
API_ROUTES = {endpoint for endpoint in ACCESS if endpoint.startswith("api.")}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        # Unknown ids: allowed roles then get 404 (the object check comes after the role check).
        url = re.sub(r"<(?:int:)?[^>]+>", "999999", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def test_every_route_is_in_the_matrix(app):
    missing = sorted({endpoint for endpoint, _, _ in _routes(app)} - set(ACCESS))
    assert missing == [], f"add these endpoints to ACCESS with the least role that may use them: {missing}"


@pytest.mark.parametrize("role", [None, *Role])
def test_role_matrix(app, login, role):
    client = login(role) if role else app.test_client()
    checked = 0
    for endpoint, method, url in _routes(app):
        need = ACCESS[endpoint]
        if need == PUBLIC:
            continue
        allowed = role is not None and role.includes(need)
        if endpoint in API_ROUTES and role is not None:
            response = client.open(url, method=method)
            assert response.status_code == 401, f"the session cookie authenticated {method} {url} as {role}"
            checked += 1
            continue
        if allowed and method != "GET":
            continue  # allowed writes are exercised by each capability's own tests
        response = client.open(url, method=method)
        where = f"{method} {url} as {role or 'anonymous'}"
        if role is None:
            if url.startswith("/api/"):
                assert response.status_code == 401, where
            else:
                assert response.status_code == 302, where
                assert "/auth/login" in response.headers["Location"], where
        elif not allowed:
            assert response.status_code == 403, where
        else:
            assert response.status_code not in (401, 403), where
            assert not (response.status_code == 302 and "/auth/login" in response.headers.get("Location", "")), where
        checked += 1
    assert checked > 0


@pytest.mark.parametrize("role", list(Role))
def test_api_role_matrix(app, users, role):
    """Every API route with a read-write token of each role: below the least role 403, from it on never 401/403."""
    from enable.api.tokens import TokenScope, create_token
    from enable.auth.models import User
    from enable.extensions import db

    with app.app_context():
        _token, secret = create_token(db.session.get(User, users[role]), name="matrix", scope=TokenScope.READ_WRITE)
        db.session.commit()
    client = app.test_client()
    checked = 0
    for endpoint, method, url in _routes(app):
        need = ACCESS[endpoint]
        if endpoint not in API_ROUTES or need == PUBLIC:
            continue
        allowed = role.includes(need)
        if allowed and method != "GET":
            continue  # allowed writes are exercised by tests/api
        response = client.open(url, method=method, headers={"Authorization": f"Bearer {secret}"})
        where = f"{method} {url} with a {role} token"
        if allowed:
            assert response.status_code not in (401, 403), where
        else:
            assert response.status_code == 403, where
            assert response.get_json()["error"]["code"] == "forbidden", where
        checked += 1
    assert checked > 0
