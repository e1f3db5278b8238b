"""Accounts: creating users, signing in (rate-limited), passwords, deactivation.

Plain functions: a session and the acting user in, data out; no Flask. Every change
writes an audit event (:mod:`kmrepo.accounts.audit`) in the same transaction and
commits. Bad input raises :class:`AccountError` (a :class:`kmrepo.errors.BadInput`:
English ``str()`` for the command line, Thai ``.thai`` for the site); an unknown
account :class:`kmrepo.errors.NotFound`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, timedelta
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from .. import clock
from ..base import named
from ..errors import BadInput, NotFound
from ..privacy import address_hash
from . import audit, policy
from .models import ROLES, AuthSession, Department, User, UserRole

#: Password rule: at least 10 characters, not containing the username (NIST SP 800-63B
#: favours length over composition rules).
PASSWORD_MIN_LENGTH = 10
#: zxcvbn's scores run 0-4; 2 is "somewhat guessable", safe from online guessing
#: (about 10^8 guesses). Below it a password is refused (:func:`check_password`).
MIN_PASSWORD_SCORE = 2
#: Throttling failed sign-ins, after NIST SP 800-63B §5.2.2 ("Rate Limiting
#: (Throttling)"): limits that a stranger cannot aim at someone else.
#:
#: - From one address at one account, the first :data:`FREE_ATTEMPTS` failures cost
#:   nothing; after that each attempt must wait :data:`FIRST_DELAY`, doubling with each
#:   further failure up to :data:`MAX_DELAY`. The real user at another address is not
#:   slowed, and a success from an address forgets that address's failures.
#: - One account gets at most :data:`MAX_ACCOUNT_FAILURES` consecutive failures in a
#:   day from all addresses together (NIST's limit of 100), after which only addresses
#:   it has signed in from before may try.
#: - One address gets at most :data:`MAX_ADDRESS_FAILURES` failures over all accounts in
#:   :data:`ADDRESS_WINDOW` (a password spray), after which only accounts that have
#:   signed in from it before may try (an office behind one NAT address keeps working).
FREE_ATTEMPTS = 5
FIRST_DELAY = timedelta(seconds=15)
MAX_DELAY = timedelta(minutes=15)
MAX_ACCOUNT_FAILURES = 100
ACCOUNT_WINDOW = timedelta(days=1)
MAX_ADDRESS_FAILURES = 20
ADDRESS_WINDOW = timedelta(minutes=15)
#: Signing in from an address within this long makes it a "known" address of the account.
KNOWN_ADDRESS_FOR = timedelta(days=90)

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class AccountError(BadInput):
    """Bad account input: ``str(err)`` is English, ``err.thai`` is Thai."""


def normalize_username(name: str) -> str:
    """Usernames are compared trimmed and lower-case."""
    return (name or "").strip().lower()


def check_username(name: str) -> str:
    """The normalised username, or AccountError if it is not 2–64 of a-z 0-9 . _ -."""
    name = normalize_username(name)
    if not USERNAME_RE.match(name):
        raise AccountError(
            "username must be 2-64 characters: a-z, 0-9, dot, underscore or hyphen",
            "ชื่อผู้ใช้ต้องมี 2–64 ตัวอักษร ใช้ได้เฉพาะ a-z 0-9 จุด ขีดล่าง หรือขีดกลาง",
        )
    return name


def check_password(password: str, username: str = "") -> None:
    """Raise AccountError unless ``password`` has :data:`PASSWORD_MIN_LENGTH`
    characters, does not contain the username, and is not easily guessed.

    NIST SP 800-63B §5.1.1.2 asks that a new password be checked against "passwords
    obtained from previous breach corpuses, dictionary words, repetitive or sequential
    characters": zxcvbn (a well-kept estimator that ships its own lists, among them
    30,000 common passwords) rates it, and a score under :data:`MIN_PASSWORD_SCORE`
    ("aaaaaaaaaa", "1234567890", "password12", "qwertyuiop") is refused."""
    if len(password or "") < PASSWORD_MIN_LENGTH:
        raise AccountError(
            f"the password must have at least {PASSWORD_MIN_LENGTH} characters",
            f"รหัสผ่านต้องมีอย่างน้อย {PASSWORD_MIN_LENGTH} ตัวอักษร",
        )
    if username and username.lower() in password.lower():
        raise AccountError("the password must not contain the username", "รหัสผ่านต้องไม่มีชื่อผู้ใช้อยู่ในนั้น")
    if zxcvbn(password[:100], user_inputs=[username] if username else [])["score"] < MIN_PASSWORD_SCORE:
        raise AccountError(
            "the password is too easy to guess (a common password, a word, or repeated or sequential characters)",
            "รหัสผ่านนี้คาดเดาได้ง่าย (เป็นรหัสผ่านที่ใช้กันทั่วไป คำในพจนานุกรม หรือตัวอักษรซ้ำ/เรียงกัน) "
            "กรุณาใช้วลีที่ยาวขึ้น เช่น หลายคำต่อกัน",
        )


def department_named(session: Session, name: str) -> Department | None:
    """The unit called ``name`` (created if new); None for an empty name."""
    name = (name or "").strip()
    return named(session, Department, name) if name else None


def user_by_name(session: Session, username: str) -> User | None:
    """The account called ``username`` (any case), or None."""
    return session.scalar(select(User).where(User.username == normalize_username(username)))


def create_user(
    session: Session,
    username: str,
    password: str,
    *,
    full_name: str = "",
    position: str = "",
    department: str = "",
    roles=(),
    actor: User | None = None,
    must_change_password: bool = False,
    email: str = "",
) -> User:
    """Create and commit an account; AccountError if the name is taken or invalid,
    the password too weak, or a role unknown."""
    name = check_username(username)
    if user_by_name(session, name) is not None:
        raise AccountError(f"the username {name!r} is already taken", "ชื่อผู้ใช้นี้มีผู้ใช้แล้ว")
    check_password(password, name)
    _check_roles(roles)
    user = User(
        username=name,
        full_name=full_name.strip(),
        position=position.strip(),
        email=email.strip()[:254],
        department=department_named(session, department),
        must_change_password=must_change_password,
    )
    user.set_password(password)
    user.roles = set(roles)
    session.add(user)
    session.flush()
    audit.record(session, "user_created", actor, username="" if actor else "(command line)", target=user,
                 detail=", ".join(sorted(roles)))
    session.commit()
    return user


def update_user(session: Session, user: User, *, full_name: str, position: str, department: str, roles,
                actor: User | None, email: str = "") -> None:
    """Change an account's name, position, unit and roles; commits. AccountError when
    it would leave the site without an active administrator."""
    _check_roles(roles)
    if "admin" in user.roles and "admin" not in set(roles) and _only_admin(session, user):
        raise AccountError(
            "this is the only active administrator: give another account the admin role first",
            "บัญชีนี้เป็นผู้ดูแลระบบคนเดียวที่ใช้งานอยู่ กรุณากำหนดบทบาทผู้ดูแลระบบให้บัญชีอื่นก่อน",
        )
    before = sorted(user.roles)
    user.full_name = full_name.strip()
    user.position = position.strip()
    user.email = email.strip()[:254]
    user.department = department_named(session, department)
    user.roles = set(roles)
    detail = f"roles: {', '.join(before) or '-'} -> {', '.join(sorted(roles)) or '-'}"
    audit.record(session, "user_updated", actor, target=user, detail=detail)
    session.commit()


def _only_admin(session: Session, user: User) -> bool:
    """True when ``user`` is the one active account with the admin role."""
    admins = session.scalars(select(User).join(UserRole).where(UserRole.role == "admin", User.active)).all()
    return [a.id for a in admins] == [user.id]


def _check_roles(roles) -> None:
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise AccountError(f"unknown role(s): {', '.join(sorted(unknown))}", "มีบทบาทที่ไม่รู้จัก")


def set_active(session: Session, user: User, active: bool, actor: User | None) -> None:
    """Deactivate (ending its sessions) or reactivate an account; commits. An admin
    cannot deactivate its own account (AccountError)."""
    if not active and actor is not None and actor.id == user.id:
        raise AccountError("you cannot deactivate your own account", "ไม่สามารถระงับบัญชีของตนเองได้")
    if not active and "admin" in user.roles and _only_admin(session, user):
        raise AccountError("this is the only active administrator", "บัญชีนี้เป็นผู้ดูแลระบบคนเดียวที่ใช้งานอยู่")
    user.active = active
    if not active:
        user.end_sessions()
    audit.record(session, "user_reactivated" if active else "user_deactivated", actor, target=user)
    session.commit()


def reset_password(session: Session, user: User, actor: User | None) -> str:
    """Give ``user`` a new random password (returned once, to hand over) that must be
    changed at the next sign-in; ends the account's sessions; commits."""
    temporary = secrets.token_urlsafe(9)
    user.set_password(temporary)
    user.must_change_password = True
    audit.record(session, "password_reset", actor, target=user)
    session.commit()
    return temporary


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Change one's own password; AccountError if ``current`` is wrong or ``new`` weak."""
    if not user.check_password(current):
        raise AccountError("the current password is wrong", "รหัสผ่านปัจจุบันไม่ถูกต้อง")
    check_password(new, user.username)
    if new == current:
        raise AccountError("the new password is the same as the current one", "รหัสผ่านใหม่ต้องไม่ซ้ำกับรหัสเดิม")
    user.set_password(new)
    user.must_change_password = False
    audit.record(session, "password_changed", user, target=user)
    session.commit()


@dataclass(frozen=True)
class SignIn:
    """The outcome of :func:`authenticate`: ``user`` when it succeeded, else
    ``throttled`` tells whether the attempt was refused unchecked, and ``retry_after``
    how many seconds to wait before the next one."""

    user: User | None
    throttled: bool = False
    retry_after: int = 0


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def authenticate(session: Session, username: str, password: str, address: str | None, salt: str) -> SignIn:
    """Check a sign-in and record it (``login`` or ``login_failed``); commits.

    Refused without checking the password while :func:`throttle` says to wait. Unknown
    names, wrong passwords and inactive accounts all fail the same way, in about the
    same time. Usernames are compared trimmed and lower-case, so "Reader " is "reader"
    here too.
    """
    name = normalize_username(username)[:64]
    addr = address_hash(address, salt) if address else ""
    wait = throttle(session, name, addr)
    if wait:
        return SignIn(None, throttled=True, retry_after=wait)
    user = user_by_name(session, name)
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        ok = False
    else:
        ok = user.check_password(password or "") and user.active
    if not ok:
        audit.record(session, "login_failed", None, username=name, address=address, salt=salt)
        session.commit()
        return SignIn(None)
    user.last_login_at = clock.now()
    audit.record(session, "login", user, address=address, salt=salt)
    session.commit()
    return SignIn(user)



def throttle(session: Session, name: str, addr: str) -> int:
    """Seconds the next sign-in as ``name`` from address hash ``addr`` must wait (0:
    none), by the rules above :data:`FREE_ATTEMPTS` (NIST SP 800-63B §5.2.2)."""
    now = clock.now()
    # Failures of this account from this address since its last success from it.
    pair_ok = audit.last_at(session, "login", name, addr) if addr else None
    pair_failures = audit.count_since(session, "login_failed", now - ACCOUNT_WINDOW, username=name,
                                      address=addr, after=pair_ok) if addr else 0
    if pair_failures >= FREE_ATTEMPTS:
        delay = min(FIRST_DELAY * 2 ** (pair_failures - FREE_ATTEMPTS), MAX_DELAY)
        last = audit.last_at(session, "login_failed", name, addr)
        if last is not None and now < _aware(last) + delay:
            return max(1, int((_aware(last) + delay - now).total_seconds() + 0.999))
    known = addr and audit.last_at(session, "login", name, addr, after=now - KNOWN_ADDRESS_FOR) is not None
    if known:
        return 0
    last_ok = audit.last_at(session, "login", name)
    if audit.count_since(session, "login_failed", now - ACCOUNT_WINDOW, username=name,
                         after=last_ok) >= MAX_ACCOUNT_FAILURES:
        return int(ACCOUNT_WINDOW.total_seconds() // 24)  # an hour, then ask again
    if addr and audit.count_since(session, "login_failed", now - ADDRESS_WINDOW,
                                  address=addr) >= MAX_ADDRESS_FAILURES:
        return int(ADDRESS_WINDOW.total_seconds())
    return 0


def user_by_id(session: Session, user_id: int) -> User:
    """The account ``user_id``; :class:`~kmrepo.errors.NotFound` if there is none."""
    user = session.get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None:
        raise NotFound(f"no account with id {user_id}")
    return user


def users_data(session: Session) -> dict:
    """Every account: ``{"users": [{"id", "username", "full_name", "position",
    "department", "roles", "active", "last_login_at"}]}`` ordered by username."""
    rows = session.scalars(select(User).order_by(User.username)).all()
    return {
        "users": [
            {
                "id": u.id,
                "username": u.username,
                "full_name": u.full_name,
                "position": u.position,
                "email": u.email,
                "department": u.department.name if u.department else "",
                "roles": sorted(u.roles),
                "active": u.active,
                "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
            }
            for u in rows
        ]
    }


def me_data(user: User | None) -> dict:
    """The signed-in account as JSON: ``{"signed_in": False}`` for anonymous visitors;
    else ``signed_in``, ``username``, ``full_name``, ``position``, ``department`` and
    ``roles`` (implicit ones included)."""
    if not policy.is_signed_in(user):
        return {"signed_in": False}
    return {
        "signed_in": True,
        "username": user.username,
        "full_name": user.full_name,
        "position": user.position,
        "department": user.department.name if user.department else "",
        "roles": sorted(policy.roles_of(user)),
    }


def audit_data(session: Session, action: str = "", username: str = "", page: int = 1) -> dict:
    """A page of the audit log (:func:`kmrepo.accounts.audit.events`) plus the filter
    (``action``, ``username``); an unknown action shows every action."""
    data = audit.events(session, action=action if action in audit.AUDIT_ACTIONS else "", username=username,
                        page=page)
    data.update(action=action, username=username)
    return data


#: A signed-in session ends this long after it began, however active (docs/roles.md,
#: "Signing in"); the idle limit is the app's ``PERMANENT_SESSION_LIFETIME`` (8 hours).
SESSION_ABSOLUTE_LIFETIME = timedelta(hours=12)
#: ``last_seen_at`` is written at most this often (not on every request).
SESSION_TOUCH_EVERY = timedelta(minutes=1)


def start_session(session: Session, user: User, address: str | None, salt: str) -> str:
    """Begin a server-side session for ``user`` after a successful sign-in; commits and
    returns its id (64 hex characters) for the cookie."""
    sid = secrets.token_hex(32)
    now = clock.now()
    session.add(AuthSession(id=sid, user_id=user.id, created_at=now, last_seen_at=now,
                            address=address_hash(address, salt) if address else ""))
    session.commit()
    return sid


def session_alive(session: Session, user: User, sid: str | None, idle: timedelta) -> bool:
    """True when ``sid`` is a session of ``user`` that was not ended, began less than
    :data:`SESSION_ABSOLUTE_LIFETIME` ago and was last seen less than ``idle`` ago; the
    sighting is recorded (commits at most once a :data:`SESSION_TOUCH_EVERY`)."""
    row = session.get(AuthSession, sid) if sid and len(sid) == 64 else None
    now = clock.now()
    if (row is None or row.user_id != user.id or row.ended_at is not None
            or now - _aware(row.created_at) >= SESSION_ABSOLUTE_LIFETIME or now - _aware(row.last_seen_at) >= idle):
        return False
    if now - _aware(row.last_seen_at) >= SESSION_TOUCH_EVERY:
        row.last_seen_at = now
        session.commit()
    return True


def end_session(session: Session, sid: str | None) -> None:
    """End the session ``sid`` (signing out); commits. Unknown ids are ignored."""
    row = session.get(AuthSession, sid) if sid and len(sid) == 64 else None
    if row is not None and row.ended_at is None:
        row.ended_at = clock.now()
        session.commit()


def _aware(moment):
    """A stored time as aware UTC (SQLite gives them back naive)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
