"""Who is acting right now: the one source for audit records and reach.

A web request acts as its logged-in user (set in a ``before_request`` hook); a CLI command or a
background job acts explicitly through :func:`acting_as`. Services receive their ``actor`` as a
keyword argument and never read ``flask.request`` themselves.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
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
_current: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("zwfw_actor", default=None)


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
    """The acting user.

    An explicit :func:`acting_as` wins; in a web request it is the logged-in user (``g.user``,
    which FAB also sets for a JWT-authenticated API call), else anonymous; outside any request
    or job it is the system (CLI commands, migrations, seeding).
    """
    actor = _current.get()
    if actor is not None:
        return actor
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


def set_current_actor(actor: Actor | None) -> contextvars.Token:
    return _current.set(actor)


def reset_current_actor(token: contextvars.Token) -> None:
    _current.reset(token)


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)
