"""Loading content/scorecards/*.yaml through `flask content load` (the file name is the scorecard's slug).

    title: Discovery call
    stage: discovery            # optional: a stage tag key; left out = every call
    description: ...
    questions:
      - {kind: yes_no, prompt: Did the rep agree on an agenda?, weight: 2}
      - {kind: scale, prompt: How well did they uncover the pain?, weight: 3}
      - kind: choice
        prompt: Next step
        options: [{label: Meeting booked, points: 100}, {label: None, points: 0}]
      - {kind: text, prompt: What should they do differently?}

Loading again changes nothing when the file is unchanged; changed questions make a new version.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from enable.coaching import services
from enable.coaching.models import QuestionKind, Scorecard
from enable.errors import UserError
from enable.extensions import db
from enable.starter import register_loader
from enable.taxonomy.services import LoadReport
from enable.yamlfile import ContentError, load_yaml, require


def _specs(path: Path, data) -> list[services.QuestionSpec]:
    items = data.get("questions")
    if not isinstance(items, list) or not items:
        raise ContentError(path, getattr(data, "line", None), "questions: a list of at least one question")
    specs = []
    for n, item in enumerate(items):
        line = item.line if hasattr(item, "line") else None
        if not isinstance(item, dict):
            raise ContentError(path, line, "each question is a mapping with kind and prompt")
        try:
            kind = QuestionKind(str(item.get("kind", "")))
        except ValueError:
            raise ContentError(path, line, "kind is one of yes_no, scale, choice, text") from None
        options = tuple((str(o.get("label", "")), int(o.get("points", 0))) for o in item.get("options") or []
                        if isinstance(o, dict))
        try:
            specs.append(services.check_spec(services.QuestionSpec(kind, str(require(item, "prompt", path)),
                                                                   int(item.get("weight", 1)), options),
                                             f"question {n + 1}"))
        except UserError as e:
            raise ContentError(path, line, e.message) from None
    return specs


def load_scorecards(root: Path) -> LoadReport:
    report = LoadReport()
    folder = root / "scorecards"
    if not folder.is_dir():
        return report
    for path in sorted(folder.glob("*.yaml")):
        data = load_yaml(path)
        if not isinstance(data, dict):
            raise ContentError(path, None, "a scorecard file is a mapping")
        slug = path.stem
        title = str(require(data, "title", path))
        stage = data.get("stage")
        description = str(data.get("description") or "")
        specs = _specs(path, data)
        card = db.session.scalar(select(Scorecard).where(Scorecard.slug == slug))
        try:
            if card is None:
                services.create_scorecard(title, specs, stage=stage, description=description, slug=slug)
                report.count("created", "scorecards")
            else:
                before = (card.title, card.stage, card.description, card.current.id if card.current else None,
                          services.questions_text(card.current))
                version = services.update_scorecard(card, title, specs, stage=stage, description=description)
                if before != (card.title, card.stage, card.description, version.id,
                              services.questions_text(version)):
                    report.count("updated", "scorecards")
        except UserError as e:
            raise ContentError(path, None, e.message) from None
    return report


register_loader("scorecards", load_scorecards)
