"""The Flask application factory: one wiring point for blueprints and the DB session."""

from __future__ import annotations

from flask import Flask

from switchboard.config import Settings


def create_app(settings: Settings, **overrides: object) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key, SWITCHBOARD_SETTINGS=settings)
    app.config.update(overrides)

    from web.health import bp as health_bp

    app.register_blueprint(health_bp)
    return app
