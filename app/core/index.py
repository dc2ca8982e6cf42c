"""The landing page: each role's workbench (工作台), its to-dos and figures (app.core.workbench)."""

from __future__ import annotations

from flask import g
from flask_appbuilder import IndexView, expose


class ZwIndexView(IndexView):
    index_template = "zwfw/index.html"

    @expose("/")
    def index(self) -> str:
        from app.core import workbench
        from app.core.actor import current_actor
        from app.extensions import db

        user = getattr(g, "user", None)
        actor = current_actor() if user is not None and user.is_authenticated else None
        todos: list[workbench.Todo] = []
        figures: list[workbench.Figure] = []
        if actor is not None:
            desk = workbench.desk(actor, db.session)
            todos = workbench.todos_for(desk)
            figures = workbench.figures_for(desk)
        return self.render_template(
            self.index_template,
            appbuilder=self.appbuilder,
            actor=actor,
            user=user,
            # A tile with a note (e.g. what another reviewer must decide) stays in view at zero.
            todos=[t for t in todos if t.count or t.note],
            quiet=[t for t in todos if not (t.count or t.note)],
            figures=figures,
        )
