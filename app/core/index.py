"""The landing page: who you are, what you reach, and what waits for you."""

from __future__ import annotations

from flask import g
from flask_appbuilder import IndexView, expose


class ZwIndexView(IndexView):
    index_template = "zwfw/index.html"

    @expose("/")
    def index(self) -> str:
        from app.core.actor import current_actor

        user = getattr(g, "user", None)
        actor = current_actor() if user is not None and user.is_authenticated else None
        return self.render_template(
            self.index_template, appbuilder=self.appbuilder, actor=actor, user=user
        )
