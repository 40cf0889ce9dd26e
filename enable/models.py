"""Imports every model so the metadata is complete (for Alembic and create_all)."""

from enable.audit import AuditEvent
from enable.auth.models import Team, User
from enable.bites.models import Bite, BiteTag
from enable.calls.models import Call
from enable.deals.models import Deal
from enable.taxonomy.models import Tag, TagPhrase
from enable.usage import UsageEvent

__all__ = ["AuditEvent", "Bite", "BiteTag", "Call", "Deal", "Tag", "TagPhrase", "Team", "UsageEvent", "User"]
