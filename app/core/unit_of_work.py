"""One use case, one transaction, one actor: :func:`unit_of_work`.

The use-case boundary — a view or API endpoint, a background job, a CLI command — opens it
around the service calls of one use case::

    with unit_of_work(db.session, actor):
        services.create_adjustment(db.session, ..., actor=actor)

It binds ``actor`` to the session (``session.info``) for its duration, so the audit hook and
the flush-time reach check (:func:`app.core.actor.session_actor`) attribute and judge every
write of the block to that actor and no other; on a normal exit it commits, on an exception
it rolls back everything (audit rows included) and re-raises. Services flush at most.

Nesting joins the outer unit: an inner block with the *same* actor runs inside the outer
transaction (it neither commits nor rolls back; its exception reaches the outer block, which
rolls back). An inner block with another actor is an error (:class:`NestedActorError`): a use
case has one actor.

``dry_run=True`` binds the actor the same way but always rolls back (a preview that must check
every rule of the real write and keep nothing of it).

:func:`on_commit` runs work that must only happen once the transaction is durable (starting a
background job that reads the committed rows).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from app.core.actor import SESSION_ACTOR, Actor

_DEPTH = "zwfw_uow_depth"
_ON_COMMIT = "zwfw_uow_on_commit"


class NestedActorError(RuntimeError):
    """A unit of work was opened inside another one with a different actor."""


@contextlib.contextmanager
def unit_of_work(session: Any, actor: Actor, *, dry_run: bool = False) -> Iterator[Any]:
    """Run the block as ``actor`` in one transaction of ``session`` (see the module doc)."""
    info = session.info
    depth = info.get(_DEPTH, 0)
    if depth:
        if info.get(SESSION_ACTOR) != actor:
            raise NestedActorError("a unit of work is already open with another actor")
        info[_DEPTH] = depth + 1
        try:
            yield session
        finally:
            info[_DEPTH] = depth
        return
    previous = info.get(SESSION_ACTOR)
    info[SESSION_ACTOR], info[_DEPTH], info[_ON_COMMIT] = actor, 1, []
    try:
        try:
            yield session
            if dry_run:
                session.rollback()
            else:
                session.commit()
        except BaseException:
            session.rollback()
            raise
        callbacks = info.get(_ON_COMMIT, []) if not dry_run else []
    finally:
        info.pop(_DEPTH, None)
        info.pop(_ON_COMMIT, None)
        if previous is None:
            info.pop(SESSION_ACTOR, None)
        else:
            info[SESSION_ACTOR] = previous
    for callback in callbacks:
        callback()


def on_commit(session: Any, callback: Callable[[], Any]) -> None:
    """Call ``callback`` after the open unit of work of ``session`` has committed (never if it
    rolls back). Outside a unit of work it is an error: nothing would ever commit it."""
    callbacks = session.info.get(_ON_COMMIT)
    if callbacks is None:
        raise RuntimeError("on_commit outside a unit of work")
    callbacks.append(callback)
