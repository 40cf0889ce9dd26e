"""The transcript endpoint when the call's transcript file is damaged: a JSON error that says so, never a crash.
(Its own module: the seeded site is one per module, and this test damages its call's transcript.)"""

from __future__ import annotations

from enable.auth.models import Role
from enable.calls import services as calls


def test_a_damaged_transcript_file_is_a_json_error_naming_the_damage(api_app, api, world):
    with api_app.app_context():
        path = calls.transcript_store().json_path(world.call_id)
        whole = path.read_bytes()
        path.write_bytes(whole[: len(whole) // 3])

    for fmt in ("json", "vtt", "txt"):
        response = api(Role.REP, "read").get(f"/calls/{world.call_id}/transcript?format={fmt}")
        assert response.status_code == 503
        error = response.get_json()["error"]
        assert error["code"] == "transcript_unreadable"
        assert "damaged and cannot be read: not valid JSON at line 1" in error["message"]

    response = api(Role.REP, "read").get(f"/calls/{world.call_id}")
    assert response.status_code == 200 and response.get_json()["status"] == "ready"  # the call itself still answers
