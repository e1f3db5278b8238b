"""What every page shares: template filters, security headers, error pages."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, jsonify, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from markupsafe import Markup

from . import policy
from .models import ENTRY_STATUSES, ENTRY_TYPES, KNOWLEDGE_KINDS, ROLES, VISIBILITIES, utcnow
from .rendering import render_markdown
from .thai_dates import MONTHS, fiscal_year, format_thai_date, thai_digits

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


def init_app(app: Flask) -> None:
    """Register filters, globals, headers and error handlers on ``app``."""
    app.jinja_env.filters.update(
        thai_date=_thai_date,
        thai_digits=thai_digits,
        markdown=lambda text: Markup(render_markdown(text)),
        role_names=lambda roles: ", ".join(ROLES.get(r, r) for r in sorted(roles) if r in ROLES),
    )
    app.jinja_env.globals.update(
        ENTRY_TYPES=ENTRY_TYPES,
        ENTRY_STATUSES=ENTRY_STATUSES,
        KNOWLEDGE_KINDS=KNOWLEDGE_KINDS,
        VISIBILITIES=VISIBILITIES,
        current_fiscal_year=lambda: fiscal_year(utcnow()),
        url_with=url_with,
        MONTH_NAMES=MONTHS,
        ROLES=ROLES,
        policy=policy,
    )
    app.context_processor(lambda: {"user": policy.current_user()})
    app.after_request(_security_headers)
    for code in ERROR_MESSAGES:
        app.register_error_handler(code, _error)
    app.register_error_handler(CSRFError, _csrf_error)


def url_with(**changes) -> str:
    """The current page's URL with some query parameters changed; empty ones dropped
    (a change to a filter also goes back to page 1)."""
    params = {k: v for k, v in request.args.items()}
    if "page" not in changes:
        params.pop("page", None)
    params.update({k: str(v) for k, v in changes.items()})
    params = {k: v for k, v in params.items() if v not in ("", "None", "1" if k == "page" else None)}
    return url_for(request.endpoint, **(request.view_args or {}), **params)


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
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def error_response(code: int, message: str):
    """An error as the caller expects it: ``{"error", "status"}`` JSON under /api/,
    the Thai error page elsewhere."""
    if request.path.startswith("/api/"):
        return jsonify(error=message, status=code), code
    return render_template("error.html", code=code, message=message), code


def _error(exc):
    code = getattr(exc, "code", 500) or 500
    return error_response(code, ERROR_MESSAGES.get(code, ERROR_MESSAGES[500]))


def _csrf_error(_exc):
    return error_response(400, "แบบฟอร์มหมดอายุหรือไม่ถูกต้อง (CSRF) กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง")
