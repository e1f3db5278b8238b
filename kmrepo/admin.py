"""The admin blueprint: accounts, the audit log, purging old access logs.

Who may do what is decided in :mod:`kmrepo.policy`; the work is done in
:mod:`kmrepo.accounts`, :mod:`kmrepo.audit` and :mod:`kmrepo.access`.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from . import access, accounts, audit, db, policy
from .auth import require, user_by_id
from .forms import PurgeForm, UserForm
from .models import AUDIT_ACTIONS, User

bp = Blueprint("admin", __name__, url_prefix="/admin")


def users_data() -> dict:
    """Every account: ``{"users": [{"id", "username", "full_name", "position",
    "department", "roles", "active", "last_login_at"}]}`` ordered by username."""
    rows = db.session().scalars(select(User).order_by(User.username)).all()
    return {
        "users": [
            {
                "id": u.id,
                "username": u.username,
                "full_name": u.full_name,
                "position": u.position,
                "department": u.department.name if u.department else "",
                "roles": sorted(u.roles),
                "active": u.active,
                "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
            }
            for u in rows
        ]
    }


@bp.get("/users")
@require(policy.can_manage_users)
def users():
    return render_template("admin/users.html", **users_data())


def _profile(form: UserForm) -> dict:
    """The account fields the user form sets, as keyword arguments of
    :func:`accounts.create_user` and :func:`accounts.update_user`."""
    return {"full_name": form.full_name.data, "position": form.position.data or "",
            "department": form.department.data or "", "roles": form.roles.data or []}


@bp.route("/users/new", methods=["GET", "POST"])
@require(policy.can_manage_users)
def user_new():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                db.session(), form.username.data, form.password.data or "", **_profile(form),
                actor=policy.current_user(), must_change_password=True,
            )
        except accounts.AccountError as err:
            db.session().rollback()
            form.username.errors = [*form.username.errors, err.thai]
        else:
            flash(f"สร้างบัญชี {user.username} แล้ว ผู้ใช้ต้องเปลี่ยนรหัสผ่านเมื่อลงชื่อเข้าใช้ครั้งแรก", "info")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None), 400 if form.errors else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require(policy.can_manage_users)
def user_edit(user_id: int):
    user = user_by_id(user_id)
    form = UserForm(obj=None if request.method == "POST" else user)
    if request.method == "GET":
        form.department.data = user.department.name if user.department else ""
        form.roles.data = sorted(user.roles)
    form.username.data = user.username  # the username never changes
    if form.validate_on_submit():
        try:
            accounts.update_user(db.session(), user, **_profile(form), actor=policy.current_user())
        except accounts.AccountError as err:
            db.session().rollback()
            form.roles.errors = [*form.roles.errors, err.thai]
        else:
            flash(f"บันทึกบัญชี {user.username} แล้ว", "info")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user), 400 if form.errors else 200


@bp.post("/users/<int:user_id>/active")
@require(policy.can_manage_users)
def user_active(user_id: int):
    user = user_by_id(user_id)
    make_active = request.form.get("active") == "1"
    try:
        accounts.set_active(db.session(), user, make_active, policy.current_user())
    except accounts.AccountError as err:
        flash(err.thai, "error")
    else:
        flash(f"{'เปิดใช้' if make_active else 'ระงับ'}บัญชี {user.username} แล้ว", "info")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/reset")
@require(policy.can_manage_users)
def user_reset(user_id: int):
    user = user_by_id(user_id)
    temporary = accounts.reset_password(db.session(), user, policy.current_user())
    return render_template("admin/reset_done.html", user=user, temporary=temporary)


def audit_data(action: str = "", username: str = "", page: int = 1) -> dict:
    """A page of the audit log (see :func:`kmrepo.audit.events`) plus the filter."""
    data = audit.events(db.session(), action=action if action in AUDIT_ACTIONS else "", username=username,
                        page=page)
    data.update(action=action, username=username)
    return data


@bp.get("/audit")
@require(policy.can_view_audit)
def audit_log():
    data = audit_data(request.args.get("action", ""), request.args.get("user", ""),
                      request.args.get("page", 1, type=int))
    return render_template("admin/audit.html", **data, AUDIT_ACTIONS=AUDIT_ACTIONS)


@bp.route("/access-logs", methods=["GET", "POST"])
@require(policy.can_purge_logs)
def access_logs():
    form = PurgeForm()
    if form.validate_on_submit():
        session = db.session()
        n = access.purge_older_than(session, form.days.data)
        audit.record(session, "access_logs_purged", policy.current_user(),
                     detail=f"older than {form.days.data} days: {n} rows")
        session.commit()
        flash(f"ลบบันทึกการเข้าถึงที่เก่ากว่า {form.days.data} วันแล้ว {n} รายการ", "info")
        return redirect(url_for("admin.access_logs"))
    return render_template("admin/access_logs.html", form=form), 400 if form.errors else 200
