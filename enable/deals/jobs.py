"""Background work after deals change: bites carry their deal's outcome in the search index."""

from __future__ import annotations

import logging

from sqlalchemy import select

from enable.bites.models import Bite
from enable.deals.services import call_ids_of_deals
from enable.extensions import db
from enable.queue import job
from enable.search.indexing import index_bites

log = logging.getLogger(__name__)


@job()
def reindex_calls(call_ids: list[int]) -> int:
    """Re-index the bites of these calls (their deal or its outcome changed); return how many were indexed."""
    bite_ids = list(db.session.scalars(select(Bite.id).where(Bite.call_id.in_(call_ids)))) if call_ids else []
    count = index_bites(bite_ids) if bite_ids else 0
    log.info("re-indexed %s bites of %s calls after a deal change", count, len(call_ids))
    return count


def enqueue_reindex_calls(call_ids: list[int]) -> None:
    """Queue re-indexing of these calls' bites; call after the commit that changed their deal."""
    if call_ids:
        reindex_calls(sorted(set(call_ids)))


def enqueue_reindex(deal_ids: list[int]) -> None:
    """Queue re-indexing of the bites of calls linked to these deals; call after the commit."""
    enqueue_reindex_calls(call_ids_of_deals(deal_ids))
