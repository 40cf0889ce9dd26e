"""Imports every model so the metadata is complete (for Alembic and create_all)."""

from enable.api.tokens import ApiToken  # noqa: F401
from enable.audit import AuditEvent
from enable.auth.models import Team, User
from enable.bites.models import Bite, BiteTag
from enable.calls.models import Call
from enable.coaching.models import (  # noqa: F401
    CallScore,
    FeedbackRequest,
    ScoreAnswer,
    Scorecard,
    ScorecardQuestion,
    ScorecardVersion,
)
from enable.comments.models import Comment  # noqa: F401
from enable.deals.models import Deal, DealContact  # noqa: F401
from enable.learning.models import (  # noqa: F401
    AckTask,
    Assignment,
    AttemptAnswer,
    Certification,
    CertificationAward,
    CertificationRequirement,
    PlaybookRead,
    Question,
    QuestionOption,
    Quiz,
    QuizAttempt,
    ReviewCard,
    ReviewLog,
    Signoff,
    StepCompletion,
    Track,
    TrackStep,
)
from enable.notifications import Notification  # noqa: F401
from enable.playbooks.models import Asset, AssetTag, Link, LinkCheck, Playbook, PlaybookVersion  # noqa: F401
from enable.search.models import Playlist, PlaylistItem, SearchLog  # noqa: F401
from enable.sources.models import CallParticipant, DealMatch, SourceFile  # noqa: F401
from enable.taxonomy.models import Tag, TagPhrase
from enable.usage import UsageEvent
from enable.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent  # noqa: F401

__all__ = ["AuditEvent", "Bite", "BiteTag", "Call", "Deal", "Tag", "TagPhrase", "Team", "UsageEvent", "User"]
