"""The full export (`flask export`) carries every comment, private notes and replies included."""

from __future__ import annotations

import json
import zipfile

from enable.auth.models import User
from enable.calls.models import Call
from enable.comments import services
from enable.comments.models import Visibility
from enable.extensions import db


def test_the_export_holds_the_comments(app, world, runner, tmp_path):
    with app.app_context():
        call, rep = db.session.get(Call, world.call), db.session.get(User, world.users["rep"])
        root = services.add_comment(call, rep, body="Team **note**", at_s=12.5, bite_id=world.bites[0])
        services.add_comment(call, rep, body="private", at_s=20, visibility=Visibility.PRIVATE)
        services.add_comment(call, db.session.get(User, world.users["manager"]), body="reply", at_s=None, parent=root)
        db.session.commit()
    archive = tmp_path / "export.zip"
    result = runner.invoke(args=["export", str(archive)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(archive) as zf:
        table = json.loads(zf.read("tables/comment.json"))
    rows = {r["body"]: r for r in table["rows"]}
    assert set(rows) == {"Team **note**", "private", "reply"}
    assert rows["Team **note**"]["at_s"] == 12.5 and rows["Team **note**"]["bite_id"] == world.bites[0]
    assert rows["private"]["visibility"] == "private" and rows["reply"]["parent_id"] == rows["Team **note**"]["id"]
