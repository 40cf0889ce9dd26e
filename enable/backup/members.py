"""What a restore lets out of an archive, checked before anything is written and again while extracting.

- Kinds: only plain files and folders. A symbolic link (or a device, a pipe) is refused: an Enable backup never
  holds one, and written out it could point a later write or read anywhere on the machine.
- Names: no member twice, and no file where another member needs a folder (`media/a` and `media/a/b`).
- Sizes: the sizes the archive declares, summed, must fit under RESTORE_MAX_MB and in the free space of each file
  system they go to. Headers can lie, so the bytes actually inflated are counted too: a member that gives more than
  it declared, or a restore that passes the cap, stops there.
"""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask_babel import gettext as _

from enable.errors import UserError

CHUNK = 1024 * 1024
SMALL_MEMBER = 1024 * 1024  # manifest.json, README.txt and secret_key are a few kilobytes


class RestoreRefused(UserError):
    """The archive cannot be restored here, or restoring would overwrite data without --force."""


def _mb(n: int) -> int:
    return -(-n // 2**20)


def check_kind(info: zipfile.ZipInfo) -> None:
    """Refuse a member that is neither a plain file nor a folder (its Unix mode says link, device or pipe)."""
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind in (0, stat.S_IFREG, stat.S_IFDIR):
        return
    if kind == stat.S_IFLNK:
        raise RestoreRefused(_("The archive holds %(name)s, a symbolic link; an Enable backup never holds links, so "
                               "nothing was restored.", name=info.filename))
    raise RestoreRefused(_("The archive holds %(name)s, which is not a plain file; an Enable backup never holds "
                           "one, so nothing was restored.", name=info.filename))


def check_names(infos: Iterable[zipfile.ZipInfo]) -> None:
    """Refuse an archive holding a name twice, or a file where another member needs a folder."""
    files: set[str] = set()
    folders: set[str] = set()
    for info in infos:
        name = info.filename.rstrip("/")
        if not info.is_dir():
            if name in files:
                raise RestoreRefused(_("The archive holds %(name)s twice; it is not an Enable backup, so nothing "
                                       "was restored.", name=name))
            files.add(name)
        parts = name.split("/")
        folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
    clash = sorted(files & folders)
    if clash:
        raise RestoreRefused(_("The archive holds %(name)s both as a file and as a folder; it is not an Enable "
                               "backup, so nothing was restored.", name=clash[0]))


def check_space(needs: Mapping[Path, int], limit: int) -> None:
    """Refuse when the declared sizes (bytes per target folder) exceed the cap, or the free space of any file
    system they go to."""
    total = sum(needs.values())
    if total > limit:
        raise RestoreRefused(_("The backup would take %(need)s MB once extracted, more than the %(limit)s MB a "
                               "restore may write (RESTORE_MAX_MB); nothing was restored.", need=_mb(total),
                               limit=limit // 2**20))
    by_device: dict[int, tuple[Path, int]] = defaultdict(lambda: (Path(), 0))
    for folder, size in needs.items():
        folder.mkdir(parents=True, exist_ok=True)
        device = os.stat(folder).st_dev
        by_device[device] = (folder, by_device[device][1] + size)
    for folder, size in by_device.values():
        free = shutil.disk_usage(folder).free
        if size > free:
            raise RestoreRefused(_("The backup needs %(need)s MB and the data folder has %(free)s MB free; nothing "
                                   "was restored.", need=_mb(size), free=free // 2**20))


@dataclass
class Budget:
    """The bytes a restore may still inflate; every extraction and read of a member counts against it."""

    left: int

    def copy(self, src: IO[bytes], dst: IO[bytes], info: zipfile.ZipInfo) -> None:
        """Copy a member's inflated bytes, refusing once it gives more than it declared or the budget is spent."""
        written = 0
        while chunk := src.read(CHUNK):
            written += len(chunk)
            self._count(info, written, len(chunk))
            dst.write(chunk)

    def read(self, src: IO[bytes], info: zipfile.ZipInfo, most: int | None = None) -> bytes:
        """A member's inflated bytes (at most `most`, else its declared size), counted against the budget."""
        if most is not None and info.file_size > most:
            raise RestoreRefused(_("The archive's %(name)s is %(size)s MB, far larger than an Enable backup writes "
                                   "it; nothing was restored.", name=info.filename, size=_mb(info.file_size)))
        data = src.read(info.file_size + 1)
        self._count(info, len(data), len(data))
        return data

    def _count(self, info: zipfile.ZipInfo, written: int, more: int) -> None:
        if written > info.file_size:
            raise RestoreRefused(_("The archive's %(name)s inflates to more than the size its header declares; it "
                                   "is damaged or hostile, so nothing was restored.", name=info.filename))
        self.left -= more
        if self.left < 0:
            raise RestoreRefused(_("The backup inflates beyond what a restore may write (RESTORE_MAX_MB, or the "
                                   "free space); nothing was restored."))
