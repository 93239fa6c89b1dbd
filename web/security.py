"""HTTP hardening in one place: cookie flags, session lifetime, proxy headers and security headers.

Our own small after-request hook rather than an extension: the pages need one
fixed policy (no frames, no inline script from elsewhere, no sniffing), and
pages that show secrets must not be kept by the browser or a proxy.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import Flask, Response, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from settings import Settings

#: Same-origin everything; inline styles stay allowed (the templates use a few ``style=`` attributes);
#: the pages' own inline scripts carry this request's nonce, an injected one cannot.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'nonce-{nonce}'; media-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
#: Pages and answers that carry secrets (SIP passwords, node secrets) or people's data.
NO_STORE_PREFIXES = ("/admin/", "/freeswitch/", "/lists/import/", "/recordings/", "/metrics")


def init_app(app: Flask, settings: Settings) -> None:
    app.config.update(
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_lifetime_minutes),
    )
    if settings.proxy_count:
        n = settings.proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]

    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP.format(nonce=csp_nonce()))
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if settings.cookie_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.path.startswith(NO_STORE_PREFIXES) or request.path == "/login":
            response.headers["Cache-Control"] = "no-store"
        return response


def csp_nonce() -> str:
    """This request's script nonce (made on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)
