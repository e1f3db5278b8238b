"""The accounts area on the web: sign in and out, one's password, the admin's
account pages and the audit log, each page beside its JSON twin.

Sessions: Flask-Login over Flask's signed cookie, ``PERMANENT_SESSION_LIFETIME``
(default 8 hours, renewed by activity); the cookie is HttpOnly, SameSite=Lax, and
Secure whenever the request came over HTTPS. The cookie holds ``<id>:<token>``, so a
password change, reset or deactivation ends every other session of that account.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, login_user, logout_user

from .. import db
from ..web import current_user, error_response, int_arg, is_api, page, require, template_names, unauthorized
from . import audit, notifications, policy, service
from .forms import LoginForm, PasswordForm, UserForm
from .models import AUDIT_ACTIONS, ROLES, User

bp = Blueprint("accounts", __name__)
template_names(bp, {"role_names": lambda roles: ", ".join(ROLES[r] for r in sorted(roles) if r in ROLES)},
               accounts_policy=policy, ROLES=ROLES)

GENERIC_FAILURE = "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง"
THROTTLED = "ลงชื่อเข้าใช้ไม่สำเร็จหลายครั้งเกินไป กรุณารอ {wait} แล้วลองใหม่"


class _SessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure when the request came over HTTPS (or always,
    with ``SESSION_COOKIE_SECURE = True``)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (request and request.is_secure)


def init_app(app: Flask) -> None:
    """Set up Flask-Login and the session cookie on ``app``."""
    app.session_interface = _SessionInterface()
    manager = LoginManager()
    manager.login_view = "accounts.login"
    manager.login_message = "กรุณาลงชื่อเข้าใช้ก่อน"
    manager.session_protection = "basic"
    manager.user_loader(_load_user)
    manager.unauthorized_handler(unauthorized)
    manager.init_app(app)
    app.before_request(_check_server_session)
    app.before_request(_force_password_change)


def _check_server_session():
    """A signed-in cookie counts only while its server-side session lives
    (:func:`kmrepo.accounts.service.session_alive`): after signing out, after the
    absolute lifetime, or after idling, the request goes on as anonymous."""
    user = current_user()
    if user is None:
        return
    idle = current_app.permanent_session_lifetime
    if not service.session_alive(db.session(), user, session.get("sid"), idle):
        logout_user()
        session.clear()
    return


def _load_user(user_id: str) -> User | None:
    ident, _, token = (user_id or "").partition(":")
    if not ident.isdigit() or not token or len(ident) > 18:
        return None
    user = db.session().get(User, int(ident))
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def _force_password_change():
    """An account given a temporary password must change it before anything else."""
    user = current_user()
    if user is None or not user.must_change_password:
        return None
    if request.endpoint in ("accounts.password", "accounts.logout", "static"):
        return None
    if is_api():
        return error_response(403, "ต้องเปลี่ยนรหัสผ่านก่อน")
    return redirect(url_for("accounts.password"))


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else the home page (no open redirects)."""
    if target and len(target) <= 1000 and target.isprintable():  # no CR/LF to split a header
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//") \
                and "\\" not in target:
            return target
    return url_for("library.home")


# -- signing in and out ----------------------------------------------------------------


@bp.route("/account/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status, headers = 200, {}
    if form.validate_on_submit():
        result = service.authenticate(
            db.session(), form.username.data, form.password.data, request.remote_addr,
            current_app.config["SECRET_KEY"],
        )
        if result.user is not None:
            session.clear()
            session.permanent = True
            login_user(result.user)
            session["sid"] = service.start_session(db.session(), result.user, request.remote_addr,
                                                   current_app.config["SECRET_KEY"])
            return redirect(safe_next(form.next.data))
        if result.throttled:
            flash(THROTTLED.format(wait=_thai_wait(result.retry_after)), "error")
            status, headers = 429, {"Retry-After": str(result.retry_after)}
        else:
            flash(GENERIC_FAILURE, "error")
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("accounts/login.html", form=form), status, headers


def _thai_wait(seconds: int) -> str:
    """"30 วินาที", "4 นาที", "1 ชั่วโมง": how long to wait, as staff say it."""
    if seconds < 60:
        return f"{seconds} วินาที"
    if seconds < 3600:
        return f"{-(-seconds // 60)} นาที"
    return f"{-(-seconds // 3600)} ชั่วโมง"


@bp.post("/account/logout")
@require(policy.is_signed_in)
def logout():
    audit.record(db.session(), "logout", current_user())
    db.session().commit()
    service.end_session(db.session(), session.get("sid"))
    logout_user()
    session.clear()
    flash("ออกจากระบบแล้ว", "info")
    return redirect(url_for("library.home"))


@bp.route("/account/password", methods=["GET", "POST"])
@require(policy.is_signed_in)
def password():
    form = PasswordForm()
    user = current_user()
    if form.validate_on_submit():
        try:
            service.change_password(db.session(), user, form.current.data, form.new.data)
        except service.AccountError as err:
            form.new.errors = [*form.new.errors, err.thai]
        else:
            login_user(user)  # the session token changed with the password
            flash("เปลี่ยนรหัสผ่านแล้ว", "info")
            return redirect(url_for("library.home"))
    return render_template("accounts/password.html", form=form, user=user), 400 if form.errors else 200


@bp.get("/api/me")
def api_me():
    """The signed-in account and its roles (``{"signed_in": false}`` when anonymous);
    the page showing the same is ``/account/password``."""
    return service.me_data(current_user())


# -- the admin's account pages -------------------------------------------------------


@page(bp, "/admin/users", "/api/users", "accounts/users.html", check=policy.can_manage_users)
def users():
    """Every account (:func:`kmrepo.accounts.service.users_data`)."""
    return service.users_data(db.session())


def _profile(form: UserForm) -> dict:
    """The account fields the user form sets, as keyword arguments of
    :func:`service.create_user` and :func:`service.update_user`."""
    return {"full_name": form.full_name.data, "position": form.position.data or "",
            "department": form.department.data or "", "roles": form.roles.data or [],
            "email": (form.email.data or "").strip()}


@bp.route("/admin/users/new", methods=["GET", "POST"])
@require(policy.can_manage_users)
def user_new():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = service.create_user(
                db.session(), form.username.data, form.password.data or "", **_profile(form),
                actor=current_user(), must_change_password=True,
            )
        except service.AccountError as err:
            db.session().rollback()
            form.username.errors = [*form.username.errors, err.thai]
        else:
            flash(f"สร้างบัญชี {user.username} แล้ว ผู้ใช้ต้องเปลี่ยนรหัสผ่านเมื่อลงชื่อเข้าใช้ครั้งแรก", "info")
            return redirect(url_for("accounts.users"))
    return render_template("accounts/user_form.html", form=form, user=None), 400 if form.errors else 200


@bp.route("/admin/users/<id:user_id>", methods=["GET", "POST"])
@require(policy.can_manage_users)
def user_edit(user_id: int):
    user = service.user_by_id(db.session(), user_id)
    form = UserForm(obj=None if request.method == "POST" else user)
    if request.method == "GET":
        form.department.data = user.department.name if user.department else ""
        form.roles.data = sorted(user.roles)
    form.username.data = user.username  # the username never changes
    if form.validate_on_submit():
        try:
            service.update_user(db.session(), user, **_profile(form), actor=current_user())
        except service.AccountError as err:
            db.session().rollback()
            form.roles.errors = [*form.roles.errors, err.thai]
        else:
            flash(f"บันทึกบัญชี {user.username} แล้ว", "info")
            return redirect(url_for("accounts.users"))
    return render_template("accounts/user_form.html", form=form, user=user), 400 if form.errors else 200


@bp.post("/admin/users/<id:user_id>/active")
@require(policy.can_manage_users)
def user_active(user_id: int):
    user = service.user_by_id(db.session(), user_id)
    make_active = request.form.get("active") == "1"
    try:
        service.set_active(db.session(), user, make_active, current_user())
    except service.AccountError as err:
        flash(err.thai, "error")
    else:
        flash(f"{'เปิดใช้' if make_active else 'ระงับ'}บัญชี {user.username} แล้ว", "info")
    return redirect(url_for("accounts.users"))


@bp.post("/admin/users/<id:user_id>/reset")
@require(policy.can_manage_users)
def user_reset(user_id: int):
    user = service.user_by_id(db.session(), user_id)
    temporary = service.reset_password(db.session(), user, current_user())
    return render_template("accounts/reset_done.html", user=user, temporary=temporary)


@page(bp, "/admin/audit", "/api/audit", "accounts/audit.html", check=policy.can_view_audit,
      context=lambda: {"AUDIT_ACTIONS": AUDIT_ACTIONS})
def audit_log():
    """``?action=&user=&page=``: a page of the audit log, newest first."""
    return service.audit_data(db.session(), request.args.get("action", ""), request.args.get("user", ""),
                              int_arg("page"))


# -- notifications (the bell) -------------------------------------------------------------


@bp.app_context_processor
def _bell() -> dict:
    """The number of unread notifications, for the bell in the header."""
    user = current_user()
    return {"unread_notifications": notifications.unread_count(db.session(), user) if user else 0}


@page(bp, "/notifications", "/api/notifications", "accounts/notifications.html", check=policy.is_signed_in)
def notifications_page():
    """My notifications (the bell), newest first."""
    return notifications.notifications_data(db.session(), current_user())


@bp.post("/notifications/read")
@require(policy.is_signed_in)
def notifications_read():
    """Mark all my notifications read."""
    notifications.mark_read(db.session(), current_user())
    return redirect(url_for("accounts.notifications_page"), code=303)
