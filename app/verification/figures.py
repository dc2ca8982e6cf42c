"""On-time figures of verification requests per issuing unit (art. 11 accountability): what
supervision checks and assessment indicators read."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.core.actor import Actor
from app.core.models import Deadline, Unit
from app.verification.models import VerificationRequest
from app.verification.states import RequestState


@dataclass
class UnitFigures:
    unit_id: int
    unit_name: str
    requests: int = 0
    answered: int = 0
    on_time: int = 0
    late: int = 0
    open_overdue: int = 0

    @property
    def on_time_rate(self) -> float | None:
        """Answered on time ÷ answered; None before anything was answered."""
        return self.on_time / self.answered if self.answered else None


def on_time_by_unit(session: Session, *, actor: Actor) -> list[UnitFigures]:
    """Per issuing unit, over the requests within reach: answered, on time, late, and open
    past their time. A verification is judged on its verify deadline, a return on its own."""
    verify_due, return_due = aliased(Deadline), aliased(Deadline)
    query = (
        select(
            VerificationRequest.issuer_unit_id,
            Unit.name,
            VerificationRequest.state,
            verify_due,
            return_due,
        )
        .join(Unit, Unit.id == VerificationRequest.issuer_unit_id)
        .join(verify_due, verify_due.id == VerificationRequest.verify_deadline_id)
        .join(return_due, return_due.id == VerificationRequest.return_deadline_id)
    )
    query = actor.reach.scope(query, VerificationRequest)
    figures: dict[int, UnitFigures] = {}
    for unit_id, name, state, verify, returned in session.execute(query):
        row = figures.setdefault(unit_id, UnitFigures(unit_id, name))
        row.requests += 1
        if state == RequestState.PENDING.value:
            row.open_overdue += verify.is_overdue()
            continue
        row.answered += 1
        late = (verify if state == RequestState.VERIFIED.value else returned).is_overdue()
        row.late += late
        row.on_time += not late
    return sorted(figures.values(), key=lambda f: (f.on_time_rate or 0.0, f.unit_name))
