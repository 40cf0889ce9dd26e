"""Hostile backups through `flask restore`: a symbolic link, a name that is both a file and a folder, an archive
that inflates beyond RESTORE_MAX_MB or beyond the free space, a member whose header understates what it inflates
to. Each is refused with a message and no traceback, before anything is written; the site is left as it was.
(Restore has no web form: it runs from the command line only, with the site stopped.)"""

from __future__ import annotations

import shutil
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from tests.backup.test_restore_safety import _leftovers, _state
from tests.backup.test_restore_safety import live as live  # noqa: PLC0414  (the fixture, used by name)


def _with_members(source: Path, target: Path, extra: list[tuple[zipfile.ZipInfo, bytes]]) -> Path:
    """A copy of the backup with the extra members appended (deflated)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for member in src.infolist():
            dst.writestr(member, src.read(member))
        for info, data in extra:
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    return target


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix: the high 16 bits of external_attr are st_mode
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _restore(app, archive: Path):
    result = app.test_cli_runner().invoke(args=["restore", str(archive), "--force"])
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, (OSError, KeyError, ValueError))
    return result.output


@pytest.mark.parametrize("name", ["media/link.ogg", "transcripts/link.json", "media/folder", "secret_key"])
def test_a_symbolic_link_is_refused_before_anything_changes(live, tmp_path, name):
    app, path = live
    before = _state(app)
    hostile = _with_members(path, tmp_path / "link.zip", [(_symlink(name), b"/etc/passwd")])
    assert "a symbolic link" in _restore(app, hostile)
    assert _state(app) == before and _leftovers(app) == []
    assert not [p for p in Path(app.config["MEDIA_DIR"]).rglob("*") if p.is_symlink()]


def test_a_name_that_is_both_a_file_and_a_folder_is_refused(live, tmp_path):
    app, path = live
    before = _state(app)
    hostile = _with_members(path, tmp_path / "clash.zip", [(zipfile.ZipInfo("media/a"), b"x"),
                                                           (zipfile.ZipInfo("media/a/b.ogg"), b"y")])
    assert "both as a file and as a folder" in _restore(app, hostile)
    assert _state(app) == before and _leftovers(app) == []


def test_a_small_archive_that_inflates_beyond_the_cap_is_refused_before_writing(live, tmp_path):
    app, path = live
    app.config["RESTORE_MAX_MB"] = 8
    before = _state(app)
    bomb = _with_members(path, tmp_path / "bomb.zip", [(zipfile.ZipInfo("media/bomb.ogg"), bytes(64 * 2**20))])
    assert bomb.stat().st_size < 2**20  # 64 MB of zeros deflate to about 64 KB
    output = _restore(app, bomb)
    assert "more than the 8 MB a restore may write (RESTORE_MAX_MB)" in output
    assert _state(app) == before and _leftovers(app) == []


def test_table_rows_count_against_the_cap_too(live, tmp_path):
    app, path = live
    app.config["RESTORE_MAX_MB"] = 8
    bomb = _with_members(path, tmp_path / "rows.zip",
                         [(zipfile.ZipInfo("tables/call.json"), b'{"rows": [' + b" " * 64 * 2**20 + b"]}")])
    assert "RESTORE_MAX_MB" in _restore(app, bomb)


def _declare_size(archive: Path, member: str, size: int) -> None:
    """Rewrite the uncompressed size the central directory declares for member (the local header is left)."""
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo(member)
    data = bytearray(archive.read_bytes())
    name = member.encode()
    at = data.rfind(b"PK\x01\x02", 0, data.rfind(name))  # the central directory entry of member
    assert data[at + 46:at + 46 + len(name)] == name
    struct.pack_into("<I", data, at + 24, size)
    archive.write_bytes(bytes(data))
    assert info.file_size != size


def test_an_archive_declaring_more_than_the_free_space_is_refused_before_writing(live, tmp_path):
    app, path = live
    app.config["RESTORE_MAX_MB"] = 10**9  # the cap out of the way: the free space is what refuses
    before = _state(app)
    names = [f"media/huge-{i}.ogg" for i in range(64)]
    huge = _with_members(path, tmp_path / "huge.zip", [(zipfile.ZipInfo(n), bytes(1024)) for n in names])
    for name in names:
        _declare_size(huge, name, 2**32 - 1)  # 64 x 4 GB declared in an archive of a few kilobytes more
    free = shutil.disk_usage(app.config["MEDIA_DIR"]).free
    if free > 64 * (2**32 - 1):
        pytest.skip(f"the test folder's file system has {free // 2**30} GB free, more than the 256 GB declared")
    assert "MB free; nothing was restored" in _restore(app, huge)
    assert _state(app) == before and _leftovers(app) == []


def test_a_member_inflating_beyond_its_declared_size_stops_there(live, tmp_path):
    app, path = live
    before = _state(app)
    liar = _with_members(path, tmp_path / "liar.zip", [(zipfile.ZipInfo("media/liar.ogg"), bytes(8 * 2**20))])
    _declare_size(liar, "media/liar.ogg", 1000)  # declares 1000 bytes, inflates to 8 MB
    output = _restore(app, liar)
    assert "nothing was restored" in output
    assert _state(app) == before and _leftovers(app) == []
    assert not list(Path(app.config["MEDIA_DIR"]).rglob("liar.ogg"))
