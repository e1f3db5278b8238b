"""What every page shares: who is signed in, permission checks, pages with their JSON
twins, template filters, security headers, and errors as pages or JSON.

Services raise :class:`kmrepo.errors.DomainError`; here it becomes an HTTP status with
the Thai error page (or ``{"error", "status"}`` JSON under ``/api/``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_wtf.csrf import CSRFError
from werkzeug.routing import BaseConverter, ValidationError

from . import clock
from .accounts import policy as accounts_policy
from .errors import DomainError
from .thai_dates import MONTHS, fiscal_year, format_thai_date, parse_fiscal_year, thai_digits

# No inline script or style anywhere: every asset is served from /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

ERROR_MESSAGES = {
    400: "คำขอไม่ถูกต้อง",
    401: "ต้องลงชื่อเข้าใช้",
    403: "คุณไม่มีสิทธิ์เข้าถึงหน้านี้",
    404: "ไม่พบหน้าที่ต้องการ",
    405: "ไม่รองรับวิธีการเรียกนี้",
    413: "ไฟล์หรือข้อมูลมีขนาดใหญ่เกินกำหนด",
    429: "มีคำขอมากเกินไป กรุณารอสักครู่",
    500: "ระบบขัดข้อง กรุณาลองใหม่อีกครั้ง",
}


class IdConverter(BaseConverter):
    """``<id:name>``: a database id, 1 to 2**31 - 1 (the INTEGER every supported
    database keeps ids in), written in Arabic digits; anything else (a number too large
    for the database, Thai digits) is simply not found."""

    regex = r"[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number < 2**31:
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


def init_app(app: Flask) -> None:
    """Register the shared filters and globals, headers and error handlers on ``app``.
    Each area adds its own names for templates (:func:`template_names`)."""
    app.jinja_env.filters.update(thai_date=_thai_date, thai_digits=thai_digits)
    app.jinja_env.globals.update(
        current_fiscal_year=lambda: fiscal_year(clock.now()),
        now=clock.now,
        url_with=url_with,
        MONTH_NAMES=MONTHS,
    )
    app.context_processor(lambda: {"user": current_user()})
    app.after_request(_security_headers)
    for code in ERROR_MESSAGES:
        app.register_error_handler(code, _error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(DomainError, _domain_error)


def template_names(bp: Blueprint, filters: dict | None = None, **names) -> None:
    """Make ``names`` (an area's policy module, its Thai labels) and ``filters`` known
    to every template of the app ``bp`` is registered on: the area's own vocabulary
    for the pages, registered by the area itself."""

    def register(state) -> None:
        state.app.jinja_env.globals.update(names)
        state.app.jinja_env.filters.update(filters or {})

    bp.record_once(register)


def current_user() -> Any | None:
    """The signed-in user of this request, or None (anonymous)."""
    from flask_login import current_user as proxy

    user = proxy._get_current_object()
    return user if accounts_policy.is_signed_in(user) else None


def is_api() -> bool:
    """True when this request is for a JSON twin (``/api/…``)."""
    return request.path.startswith("/api/")


def unauthorized():
    """The answer to an anonymous visitor on a page for accounts: 401 JSON under /api/,
    else a redirect to the sign-in page that comes back here."""
    if is_api():
        return error_response(401, ERROR_MESSAGES[401])
    flash("กรุณาลงชื่อเข้าใช้ก่อน", "info")
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")[:1000]))


def require(check: Callable[[Any], bool]):
    """View decorator: :func:`unauthorized` for anonymous visitors, 403 for users
    ``check(user)`` refuses (``check`` is a policy function of an area)."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                return unauthorized()
            if not check(user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def page(bp: Blueprint, rule: str, api_rule: str, template: str, *, check: Callable[[Any], bool] | None = None,
         context: Callable[[], dict] | None = None):
    """Register a data function as an HTML page and its JSON twin (Datasette's rule:
    the page is a view of the data, never the only way to reach it).

    The decorated function reads the request, calls one service function and returns
    its data (JSON-ready). ``rule`` renders ``template`` with ``data=`` that data (and
    ``context()``'s extra names, such as an empty form); ``api_rule`` returns it as
    JSON. Endpoints are ``<blueprint>.<name>`` and ``<blueprint>.api_<name>``. With
    ``check`` (a policy function) both require a signed-in user it accepts."""

    def decorate(fn):
        def html_view(**kwargs):
            return render_template(template, data=fn(**kwargs), **(context() if context else {}))

        def json_view(**kwargs):
            return jsonify(fn(**kwargs))

        html_view.__doc__ = json_view.__doc__ = fn.__doc__
        if check is not None:
            html_view, json_view = require(check)(html_view), require(check)(json_view)
        bp.add_url_rule(rule, fn.__name__, html_view)
        bp.add_url_rule(api_rule, f"api_{fn.__name__}", json_view)
        return fn

    return decorate


#: Query parameters are carried into a page's own links at most this long (a search
#: query is cut to 500 characters anyway): a 100,000-character query must not make
#: every filter link of its page 100,000 characters long.
MAX_PARAM_CHARS = 500


def url_with(**changes) -> str:
    """The current page's URL with some query parameters changed; empty ones dropped
    (a change to a filter also goes back to page 1), each at most
    :data:`MAX_PARAM_CHARS` characters."""
    params = {k: v[:MAX_PARAM_CHARS] for k, v in request.args.items()}
    if "page" not in changes:
        params.pop("page", None)
    params.update({k: str(v) for k, v in changes.items()})
    params = {k: v for k, v in params.items() if v not in ("", "None", "1" if k == "page" else None)}
    return url_for(request.endpoint, **(request.view_args or {}), **params)


def int_arg(name: str, default: int = 1) -> int:
    """A whole-number query parameter (Arabic digits), or ``default`` when it is
    missing or not one."""
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else default


def upload_folder() -> str:
    """Where this app keeps uploaded files: ``UPLOAD_DIR`` (``$KMREPO_UPLOAD_DIR``;
    default ``<instance>/uploads``, outside the web root); several app servers share
    one (docs/deployment.md)."""
    return current_app.config["UPLOAD_DIR"]


def send_stored(stored) -> Response:
    """Serve a stored file (an attachment, a report's file, a plan's evidence: any
    :class:`~kmrepo.library.models.StoredFile`) with safe headers: its checked type,
    a sandboxing CSP, no caching, and as a download unless a browser may show it
    (``stored.inline``)."""
    resp = send_file(os.path.join(upload_folder(), stored.stored_name), mimetype=stored.content_type,
                     as_attachment=not stored.inline, download_name=stored.filename, max_age=0)
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def fiscal_year_arg(name: str = "fiscal_year") -> int:
    """The Buddhist Era fiscal year in query parameter ``name`` (Thai digits too), or the
    current one; BadInput (a Thai 400) for anything else
    (:func:`kmrepo.thai_dates.parse_fiscal_year`)."""
    return parse_fiscal_year(request.args.get(name), clock.today())


def _thai_date(value, short: bool = False, with_time: bool = False) -> str:
    """Template filter: a date, datetime or ISO string as a Thai date (พ.ศ.)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, (date, datetime)):
        return ""
    return format_thai_date(value, short=short, with_time=with_time)


def _security_headers(response):
    if current_user() is not None:
        # What a signed-in user sees (internal entries, a temporary password) stays out
        # of shared caches and of the browser's back button after signing out.
        response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def error_response(code: int, message: str):
    """An error as the caller expects it: ``{"error", "status"}`` JSON under /api/,
    the Thai error page elsewhere."""
    if is_api():
        return jsonify(error=message, status=code), code
    return render_template("error.html", code=code, message=message), code


def _error(exc):
    code = getattr(exc, "code", 500) or 500
    if code >= 500 and g.get("db_session") is not None:
        g.db_session.rollback()  # a failed flush leaves the session unusable, and the page reads the user
    return error_response(code, ERROR_MESSAGES.get(code, ERROR_MESSAGES[500]))


def _domain_error(exc: DomainError):
    return error_response(exc.status, exc.thai)


def _csrf_error(_exc):
    return error_response(400, "แบบฟอร์มหมดอายุหรือไม่ถูกต้อง (CSRF) กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง")
