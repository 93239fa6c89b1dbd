"""The Flask application factory: the one wiring point for extensions and blueprints."""

from __future__ import annotations

from flask import Flask
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from provisioning.dialplan import params as dialplan_params
from settings import Settings

BLUEPRINTS = (
    "web.health",
    "web.metrics",
    "web.auth.views",
    "web.seats.views",
    "web.trunks.views",
    "web.inbound.views",
    "web.inbound.missed",
    "web.inbound.ivr_views",
    "web.campaigns.views",
    "web.leads.views",
    "web.leaddata.views",
    "web.wallboard.views",
    "web.agent.views",
    "web.agent.care",
    "web.agent.knowledge",
    "web.knowledge.views",
    "web.calls.customer",
    "web.calls.views",
    "web.reports.views",
    "web.sales.views",
    "web.fsxml",
    "web.messaging.views",
    "web.messaging.callbacks",
    "web.fax.views",
    "web.quality.views",
    "web.quality.builder",
    "web.quality.tickets",
)


def create_app(settings: Settings, **overrides: object) -> Flask:
    """Build the app; ``overrides`` are Flask config keys (tests set e.g. ``MAX_CONTENT_LENGTH``)."""
    from importlib import import_module

    from store.sealing import instance_sealer
    from web import db as web_db
    from web import i18n, metrics, security
    from web.auth import throttle
    from web.auth.roles import Perm, can
    from web.auth.services import session_identity
    from web.charts import bar_chart, count_chart, pivot_chart
    from web.labels import label, labelled, relabel
    from web.live import stream as live

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SWITCHBOARD_SETTINGS=settings,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,  # a 100 000-row XLSX is a few MB
        WTF_CSRF_TIME_LIMIT=None,  # token lives as long as the session
        # Where provisioning writes each Asterisk node's seats ({node}: the node's name).
        SEATS_CONF_PATH=settings.seats_conf_path,
        SEATS_PJSIP_TRANSPORT=settings.pjsip_transport,
        # The routes provisioning and mod_xml_curl render (a bad fax number stops the start, said why).
        DIALPLAN_PARAMS=dialplan_params(settings),
        FREESWITCH_GATEWAYS_DIR=settings.freeswitch_gateways_dir,
    )
    security.init_app(app, settings)
    app.config.update(overrides)
    web_db.init_app(app, settings.sqlalchemy_url, instance_sealer(settings))
    live.init_app(app)
    csrf = CSRFProtect(app)

    login = LoginManager(app)
    login.login_view = "auth.login"

    @login.user_loader
    def _load(cookie_id: str):
        return session_identity(web_db.db(), cookie_id)

    app.jinja_env.globals.update(can=can, Perm=Perm, bar_chart=bar_chart,
                            count_chart=count_chart, pivot_chart=pivot_chart)
    i18n.init_app(app)
    app.add_template_filter(label)
    app.add_template_filter(relabel)
    app.jinja_env.globals["labelled"] = labelled
    for name in BLUEPRINTS:
        app.register_blueprint(import_module(name).bp)
    csrf.exempt(import_module("web.fsxml").bp)  # FreeSWITCH authenticates with HTTP basic auth
    csrf.exempt(import_module("web.messaging.callbacks").bp)  # Kannel: a token in the path
    metrics.instrument(app)
    throttle.init_app(app, settings.throttle_storage)
    return app
