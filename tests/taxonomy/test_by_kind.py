"""Every tag list and tag menu: grouped by kind in the taxonomy's order, sorted by name in the reader's language."""

from __future__ import annotations

from types import SimpleNamespace

from enable.taxonomy.models import TagKind
from enable.taxonomy.services import by_kind


def _tag(kind: str, key: str, en: str, ru: str) -> SimpleNamespace:
    return SimpleNamespace(kind=kind, key=key, name_in=lambda locale: ru if locale == "ru" else en)


TAGS = [_tag("objection", "timing", "Timing", "Сроки"), _tag("stage", "demo", "Demo", "Демонстрация"),
        _tag("objection", "price", "Price or budget", "Цена или бюджет"),
        _tag("stage", "closing", "Closing", "Закрытие")]


def test_tags_group_by_kind_in_the_taxonomys_order_and_sort_by_name():
    groups = by_kind(TAGS, "en")
    assert [(kind, [t.key for t in tags]) for kind, tags in groups] == [
        (TagKind.STAGE, ["closing", "demo"]), (TagKind.OBJECTION, ["price", "timing"])]


def test_names_sort_in_the_readers_language_and_holders_of_a_tag_group_too():
    holders = [SimpleNamespace(tag=t) for t in TAGS]
    groups = by_kind(holders, "ru")
    assert [[h.tag.key for h in items] for _, items in groups] == [["demo", "closing"], ["timing", "price"]]
