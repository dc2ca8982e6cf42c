"""Who is acting right now: the one source for audit records and reach.

A use case binds its actor to the session it writes with
(:func:`app.core.unit_of_work.unit_of_work`); the audit hook and the flush-time reach check ask
:func:`session_actor`. A web request that binds none (FAB's own ModelView / ModelRestApi
writes) acts as its signed-in user, resolved at the request boundary from FAB's ``g.user``.
Services receive their ``actor`` as a keyword argument and never read ``flask.request``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import g, has_request_context, request

if TYPE_CHECKING:
    from app.core.reach import Reach


@dataclass(frozen=True)
class Actor:
    """A user (or the system) acting, seen from where (IP) and with what reach."""

    user_id: int | None
    username: str
    ip: str = ""
    user: Any = field(default=None, compare=False, repr=False)
    #: Never None: the system acts with ``Reach.unrestricted()``, an anonymous visitor with
    #: ``Reach.nothing()``.
    reach: Reach = field(kw_only=True, compare=False)

    @property
    def is_system(self) -> bool:
        return self.user_id is None and self.username == SYSTEM_NAME


SYSTEM_NAME = "system"
#: The key of ``session.info`` under which a unit of work binds its actor.
SESSION_ACTOR = "zwfw_actor"


def system_actor(ip: str = "") -> Actor:
    from app.core.reach import Reach

    return Actor(user_id=None, username=SYSTEM_NAME, ip=ip, reach=Reach.unrestricted())


def anonymous_actor(ip: str = "") -> Actor:
    from app.core.reach import Reach

    return Actor(user_id=None, username="anonymous", ip=ip, reach=Reach.nothing())


def actor_for_user(user: Any, ip: str = "") -> Actor:
    from app.core.reach import Reach

    return Actor(
        user_id=user.id, username=user.username, ip=ip, reach=Reach.for_user(user), user=user
    )


def current_actor() -> Actor:
    """The request's actor: in a web request the logged-in user (``g.user``, which FAB also sets
    for a JWT-authenticated API call), else anonymous; outside any request it is the system
    (migrations, seeding, a session no unit of work bound). A boundary passes it to its unit of
    work; hooks ask :func:`session_actor`.
    """
    if has_request_context():
        ip = request.remote_addr or ""
        user = getattr(g, "user", None)
        if user is None or not getattr(user, "is_authenticated", False):
            return anonymous_actor(ip)
        cached = g.get("zwfw_actor")
        if cached is None or cached.user_id != user.id:
            cached = g.zwfw_actor = actor_for_user(user, ip)
        return cached
    return system_actor()


def session_actor(session: Any) -> Actor:
    """Who writes through ``session``: the actor its unit of work bound, else the request's
    (:func:`current_actor`). The audit hook and the flush-time reach check read this."""
    actor = session.info.get(SESSION_ACTOR)
    return actor if actor is not None else current_actor()
