"""The auth blueprint: sign in, sign out, change one's password; session set-up.

Sessions: Flask-Login over Flask's signed cookie, ``PERMANENT_SESSION_LIFETIME``
(default 8 hours, renewed by activity); the cookie is HttpOnly, SameSite=Lax, and
Secure whenever the request came over HTTPS. The cookie holds ``<id>:<token>``, so a
password change, reset or deactivation ends every other session of that account.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, login_user, logout_user
from sqlalchemy import select

from . import accounts, audit, db, policy
from .forms import LoginForm, PasswordForm
from .models import User
from .web import error_response

bp = Blueprint("auth", __name__, url_prefix="/account")

GENERIC_FAILURE = "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง"
THROTTLED = "ลงชื่อเข้าใช้ไม่สำเร็จหลายครั้งเกินไป กรุณารอ 15 นาทีแล้วลองใหม่"


class _SessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure when the request came over HTTPS (or always,
    with ``SESSION_COOKIE_SECURE = True``)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (request and request.is_secure)


def init_app(app: Flask) -> None:
    """Set up Flask-Login and the session cookie on ``app``."""
    app.session_interface = _SessionInterface()
    manager = LoginManager()
    manager.login_view = "auth.login"
    manager.login_message = "กรุณาลงชื่อเข้าใช้ก่อน"
    manager.session_protection = "basic"
    manager.user_loader(_load_user)
    manager.unauthorized_handler(_unauthorized)
    manager.init_app(app)
    app.before_request(_force_password_change)


def _load_user(user_id: str) -> User | None:
    ident, _, token = (user_id or "").partition(":")
    if not ident.isdigit() or not token:
        return None
    user = db.session().get(User, int(ident))
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def _unauthorized():
    if request.path.startswith("/api/"):
        return error_response(401, "ต้องลงชื่อเข้าใช้")
    flash("กรุณาลงชื่อเข้าใช้ก่อน", "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _force_password_change():
    """An account given a temporary password must change it before anything else."""
    user = policy.current_user()
    if user is None or not user.must_change_password:
        return None
    if request.endpoint in ("auth.password", "auth.logout", "static"):
        return None
    if request.path.startswith("/api/"):
        return error_response(403, "ต้องเปลี่ยนรหัสผ่านก่อน")
    return redirect(url_for("auth.password"))


def require(check):
    """View decorator: 401/redirect to sign-in for anonymous visitors, 403 for users
    ``check(user)`` refuses (``check`` is a :mod:`kmrepo.policy` function)."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = policy.current_user()
            if user is None:
                return _unauthorized()
            if not check(user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else the home page (no open redirects)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//") \
                and "\\" not in target:
            return target
    return url_for("search.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        result = accounts.authenticate(
            db.session(), form.username.data, form.password.data, request.remote_addr,
            current_app.config["SECRET_KEY"],
        )
        if result.user is not None:
            session.clear()
            session.permanent = True
            login_user(result.user)
            return redirect(safe_next(form.next.data))
        if result.throttled:
            flash(THROTTLED, "error")
            status = 429
        else:
            flash(GENERIC_FAILURE, "error")
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("login.html", form=form), status


@bp.post("/logout")
@require(policy.is_signed_in)
def logout():
    user = policy.current_user()
    audit.record(db.session(), "logout", user)
    db.session().commit()
    logout_user()
    session.clear()
    flash("ออกจากระบบแล้ว", "info")
    return redirect(url_for("search.home"))


@bp.route("/password", methods=["GET", "POST"])
@require(policy.is_signed_in)
def password():
    form = PasswordForm()
    user = policy.current_user()
    if form.validate_on_submit():
        try:
            accounts.change_password(db.session(), user, form.current.data, form.new.data)
        except accounts.AccountError as err:
            form.new.errors = [*form.new.errors, err.thai]
        else:
            login_user(user)  # the session token changed with the password
            flash("เปลี่ยนรหัสผ่านแล้ว", "info")
            return redirect(url_for("search.home"))
    return render_template("password.html", form=form, user=user), 400 if form.errors else 200


def me_data(user) -> dict:
    """The signed-in account as JSON: ``{"signed_in": False}`` for anonymous visitors."""
    if user is None:
        return {"signed_in": False}
    return {
        "signed_in": True,
        "username": user.username,
        "full_name": user.full_name,
        "position": user.position,
        "department": user.department.name if user.department else "",
        "roles": sorted(policy.roles_of(user)),
    }


def user_by_id(user_id: int) -> User:
    """The account ``user_id`` or 404."""
    user = db.session().scalar(select(User).where(User.id == user_id))
    if user is None:
        abort(404)
    return user
