"""What every page shares: template filters, security headers, error pages."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from markupsafe import Markup

from .models import ENTRY_STATUSES, ENTRY_TYPES, KNOWLEDGE_KINDS, VISIBILITIES
from .rendering import render_markdown
from .thai_dates import fiscal_year, format_thai_date, thai_digits
from .models import utcnow

# No inline script or style anywhere: every asset is served from /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

ERROR_MESSAGES = {
    400: "คำขอไม่ถูกต้อง",
    403: "คุณไม่มีสิทธิ์เข้าถึงหน้านี้",
    404: "ไม่พบหน้าที่ต้องการ",
    405: "ไม่รองรับวิธีการเรียกนี้",
    413: "ไฟล์หรือข้อมูลมีขนาดใหญ่เกินกำหนด",
    500: "ระบบขัดข้อง กรุณาลองใหม่อีกครั้ง",
}


def init_app(app: Flask) -> None:
    """Register filters, globals, headers and error handlers on ``app``."""
    app.jinja_env.filters.update(
        thai_date=format_thai_date,
        thai_digits=thai_digits,
        markdown=lambda text: Markup(render_markdown(text)),
    )
    app.jinja_env.globals.update(
        ENTRY_TYPES=ENTRY_TYPES,
        ENTRY_STATUSES=ENTRY_STATUSES,
        KNOWLEDGE_KINDS=KNOWLEDGE_KINDS,
        VISIBILITIES=VISIBILITIES,
        current_fiscal_year=lambda: fiscal_year(utcnow()),
    )
    app.after_request(_security_headers)
    for code in ERROR_MESSAGES:
        app.register_error_handler(code, _error)


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _error(exc):
    code = getattr(exc, "code", 500) or 500
    message = ERROR_MESSAGES.get(code, ERROR_MESSAGES[500])
    if request.path.startswith("/api/"):
        return jsonify(error=message, status=code), code
    return render_template("error.html", code=code, message=message), code
