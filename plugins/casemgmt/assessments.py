"""Assessments: a type's questions are scored, the total falls into a tier.

The total and the tier are read-only on the Assessment: they are computed here
from the answers, in the transaction that records them, so they can never
disagree with the answers a user can read.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from missionbase.core import ValidationError


def tier_for(total: int, tiers: list[dict]) -> str | None:
    """The tier with the highest ``min_total`` the total reaches."""
    reached = [t for t in tiers if total >= t["min_total"]]
    return max(reached, key=lambda t: t["min_total"])["name"] if reached else None


def record_assessment(
    session,
    client_id: str,
    type_id: str,
    answers: dict[str, int],
    *,
    completed_date: dt.date | None = None,
    comments: str | None = None,
) -> dict:
    """Record a completed assessment: ``answers`` maps each question id (or its text) to a score."""
    assessment_type = session.get(type_id)
    questions = session.query(
        "AssessmentQuestion", {"assessment_type": type_id}, order_by=["sort_order", "created_at"]
    ).records
    by_key = {q["id"]: q for q in questions} | {q["question"]: q for q in questions}
    scores: dict[str, int] = {}
    for key, score in answers.items():
        question = by_key.get(key)
        if question is None:
            raise ValidationError(
                f"{key!r} is not a question of {assessment_type['name']!r}",
                object_name="AssessmentAnswer",
                field="question",
            )
        try:
            score = int(score)
        except (TypeError, ValueError):
            raise ValidationError(
                f"score {score!r} for {question['question']!r} is not a whole number",
                object_name="AssessmentAnswer",
                field="score",
            ) from None
        low, high = question["min_score"] or 0, question["max_score"]
        if not low <= score <= high:
            raise ValidationError(
                f"score {score} for {question['question']!r} is not between {low} and {high}",
                object_name="AssessmentAnswer",
                field="score",
            )
        scores[question["id"]] = score
    unanswered = [q["question"] for q in questions if q["id"] not in scores]
    if unanswered:
        raise ValidationError(
            f"question {unanswered[0]!r} has no answer ({len(unanswered)} unanswered)",
            object_name="AssessmentAnswer",
            field="score",
        )
    tiers = session.query("AssessmentTier", {"assessment_type": type_id}).records
    total = sum(scores.values())
    completed_date = completed_date or dt.date.today()
    assessment = session.create(
        "Assessment",
        {
            "client": client_id,
            "assessment_type": type_id,
            "completed_date": completed_date,
            "comments": comments,
            "name": f"{assessment_type['name']} {completed_date.isoformat()}",
        },
        computed={"total_score": total, "tier": tier_for(total, tiers)},
    )
    session.create_many(
        "AssessmentAnswer",
        [{"assessment": assessment["id"], "question": q, "score": s} for q, s in scores.items()],
    )
    return assessment


def score_history(session, client_id: str) -> dict[str, list[dict]]:
    """A client's totals and tiers per assessment type, oldest first (to see progress)."""
    rows = session.query(
        "Assessment",
        {"client": client_id},
        fields=["assessment_type.name", "completed_date", "total_score", "tier"],
        order_by=["completed_date", "created_at"],
    ).records
    history: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        history[row["assessment_type.name"]].append(
            {
                "id": row["id"],
                "completed_date": row["completed_date"],
                "total_score": row["total_score"],
                "tier": row["tier"],
            }
        )
    return dict(history)
