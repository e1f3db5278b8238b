"""Accounts: signing in and out, rate limits, passwords, sessions, admin, audit, CLI."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from kmrepo.accounts.models import AuditEvent
from kmrepo.clock import now as utcnow
from kmrepo.db import session as db_session
from kmrepo.library.models import AccessLog

from .helpers import PASSWORD, AuthActions, csrf_token


def _audit(app, action):
    with app.app_context():
        return db_session().scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_sign_in_and_out(app, client, auth):
    resp = auth.login("reader")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "ทดสอบ reader" in page and "ออกจากระบบ" in page
    assert client.get("/api/me").get_json()["roles"] == ["reader", "trainee"]
    assert client.get("/account/logout").status_code == 405  # signing out is a POST with a CSRF token
    assert client.post("/account/logout").status_code == 400
    assert auth.logout().status_code == 302
    assert client.get("/api/me").get_json() == {"signed_in": False}
    assert [e.username for e in _audit(app, "login")] == ["reader"]
    assert len(_audit(app, "logout")) == 1


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(client, auth):
    resp = client.get("/workspace")
    assert resp.status_code == 302 and "/account/login?next=/workspace" in resp.headers["Location"]
    token = csrf_token(client, "/account/login")
    resp = client.post("/account/login", data={"username": "reader", "password": PASSWORD, "next": "/workspace",
                                               "csrf_token": token})
    assert resp.headers["Location"] == "/workspace"
    auth.logout()
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        token = csrf_token(client, "/account/login")
        resp = client.post("/account/login", data={"username": "reader", "password": PASSWORD, "next": evil,
                                                   "csrf_token": token})
        assert resp.headers["Location"] == "/", evil
        auth.logout()


def test_failed_sign_in_does_not_say_which_part_was_wrong(app, client, auth):
    wrong_password = auth.login("reader", "not the password")
    unknown_user = auth.login("nobody", PASSWORD)
    assert wrong_password.status_code == unknown_user.status_code == 401
    message = "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง"
    assert message in wrong_password.get_data(as_text=True) and message in unknown_user.get_data(as_text=True)
    assert len(_audit(app, "login_failed")) == 2
    assert auth.login("Reader ", PASSWORD).status_code == 302  # names are not case-sensitive


def _from(app, address: str) -> AuthActions:
    """A browser at another client address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return AuthActions(client)


def test_failed_sign_ins_slow_that_address_at_that_account_and_no_one_else(app, client, users, clock):
    """NIST SP 800-63B §5.2.2: throttling a stranger cannot aim. After five failures
    from one address at one account, that address waits 15 s, then 30 s, doubling;
    the account's owner at another address signs in at once."""
    clock.set_now(clock.now())
    attacker = AuthActions(client)
    for _ in range(5):
        assert attacker.login("reader", "guess-guess").status_code == 401
    blocked = attacker.login("reader", PASSWORD)  # even the right password, from here, for now
    assert blocked.status_code == 429 and "กรุณารอ 15 วินาที" in blocked.get_data(as_text=True)
    assert blocked.headers["Retry-After"] == "15"
    assert attacker.login("Reader ", PASSWORD).status_code == 429  # case and spaces are the same name
    assert _from(app, "10.1.2.3").login("reader", PASSWORD).status_code == 302  # the owner, elsewhere
    assert attacker.login("contributor", PASSWORD).status_code == 302  # other accounts from here
    attacker.logout()
    clock.advance(timedelta(seconds=16))
    assert attacker.login("reader", "guess-again").status_code == 401  # the sixth failure
    assert "กรุณารอ 30 วินาที" in attacker.login("reader", PASSWORD).get_data(as_text=True)
    clock.advance(timedelta(seconds=31))
    assert attacker.login("reader", PASSWORD).status_code == 302  # waited: the right password works
    with app.app_context():
        assert _audit(app, "login_failed")  # every failure was recorded


def test_a_password_spray_from_one_address_spares_accounts_with_a_good_history_there(app, users):
    office = _from(app, "192.0.2.10")  # one NAT address for a whole office
    assert office.login("reader", PASSWORD).status_code == 302  # the reader has signed in from here
    office.logout()
    for i in range(20):
        assert office.login(f"user{i}", "guess-guess").status_code == 401
    assert office.login("contributor", PASSWORD).status_code == 429  # new to this address: wait
    assert office.login("reader", PASSWORD).status_code == 302  # a good history here: welcome
    assert _from(app, "192.0.2.99").login("contributor", PASSWORD).status_code == 302


def test_one_account_gets_at_most_a_hundred_failures_from_strangers(app, users):
    home = _from(app, "198.51.100.7")
    assert home.login("reader", PASSWORD).status_code == 302
    home.logout()
    for i in range(100):
        assert _from(app, f"203.0.113.{i}").login("reader", "guess-guess").status_code == 401
    assert _from(app, "203.0.113.200").login("reader", PASSWORD).status_code == 429
    assert home.login("reader", PASSWORD).status_code == 302  # its own known address still works


def test_session_cookie_flags_and_expiry(app, client, auth):
    resp = auth.login("reader")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert "Secure" not in cookie  # plain HTTP on the intranet
    assert app.permanent_session_lifetime == timedelta(hours=8)
    https = app.test_client()
    token = csrf_token(https, "https://localhost/account/login")
    resp = https.post("https://localhost/account/login",
                      data={"username": "reader", "password": PASSWORD, "csrf_token": token})
    assert "Secure" in resp.headers["Set-Cookie"]


def test_change_password_ends_other_sessions(app, client, auth):
    other = AuthActions(app.test_client())
    other.login("reader")
    auth.login("reader")
    resp = auth.post("/account/password", {"current": "wrong", "new": "x" * 12, "confirm": "x" * 12})
    assert resp.status_code == 400 and "รหัสผ่านปัจจุบันไม่ถูกต้อง" in resp.get_data(as_text=True)
    resp = auth.post("/account/password", {"current": PASSWORD, "new": "short", "confirm": "short"})
    assert resp.status_code == 400 and "อย่างน้อย 10 ตัวอักษร" in resp.get_data(as_text=True)
    resp = auth.post("/account/password", {"current": PASSWORD, "new": "a new long one", "confirm": "a new long one"})
    assert resp.status_code == 302
    assert client.get("/api/me").get_json()["signed_in"] is True  # this session goes on
    assert other.client.get("/api/me").get_json()["signed_in"] is False  # the other one ended
    auth.logout()
    assert auth.login("reader", PASSWORD).status_code == 401
    assert auth.login("reader", "a new long one").status_code == 302


def test_admin_creates_resets_and_deactivates_accounts(app, client, auth):
    auth.login("admin")
    resp = auth.post("/admin/users/new", {"username": "somchai", "full_name": "สมชาย ใจดี", "position": "นักวิชาการคลัง",
                                          "department": "กองคลัง", "roles": ["contributor"], "password": "tamarind walk 12"})
    assert resp.status_code == 302
    users = client.get("/api/users").get_json()["users"]
    somchai = next(u for u in users if u["username"] == "somchai")
    assert somchai["roles"] == ["contributor"] and somchai["position"] == "นักวิชาการคลัง"
    resp = auth.post("/admin/users/new", {"username": "somchai", "full_name": "ซ้ำ", "password": "mango river 77"})
    assert resp.status_code == 400 and "มีผู้ใช้แล้ว" in resp.get_data(as_text=True)

    staff = AuthActions(app.test_client())
    assert staff.login("somchai", "tamarind walk 12").status_code == 302
    # a new account must change the password given by the admin first
    assert staff.client.get("/entries/").headers["Location"].endswith("/account/password")
    resp = auth.post(f"/admin/users/{somchai['id']}/reset")
    temporary = resp.get_data(as_text=True).split("<code>")[1].split("</code>")[0]
    assert staff.client.get("/api/me").get_json()["signed_in"] is False  # reset ends sessions
    assert staff.login("somchai", temporary).status_code == 302
    staff.post("/account/password", {"current": temporary, "new": "my own password", "confirm": "my own password"})
    assert staff.client.get("/entries/").status_code == 200

    assert auth.post(f"/admin/users/{somchai['id']}/active", {"active": "0"}).status_code == 302
    assert staff.client.get("/api/me").get_json()["signed_in"] is False
    staff_again = AuthActions(app.test_client())
    assert staff_again.login("somchai", "my own password").status_code == 401
    actions = [e["action"] for e in client.get("/api/audit").get_json()["events"]]
    assert {"user_created", "password_reset", "password_changed", "user_deactivated"} <= set(actions)
    # an admin cannot lock itself out
    me = next(u for u in users if u["username"] == "admin")
    auth.post(f"/admin/users/{me['id']}/active", {"active": "0"})
    assert client.get("/api/me").get_json()["signed_in"] is True


def test_forms_without_a_csrf_token_are_refused(client, auth):
    auth.login("contributor")
    resp = client.post("/entries/new", data={"title": "t", "type": "manual", "body": "b", "visibility": "public",
                                             "department": "0"})
    assert resp.status_code == 400 and "CSRF" in resp.get_data(as_text=True)


def test_create_admin_command(app, runner):
    result = runner.invoke(["create-admin", "boss", "--password", "a-good-long-password", "--full-name", "นายก"])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    assert AuthActions(client).login("boss", "a-good-long-password").status_code == 302
    assert client.get("/admin/users").status_code == 200
    weak = runner.invoke(["create-admin", "boss2", "--password", "short"])
    assert weak.exit_code == 1 and "at least 10 characters" in weak.output
    taken = runner.invoke(["create-admin", "BOSS", "--password", "a-good-long-password"])
    assert taken.exit_code == 1 and "already taken" in taken.output


def test_purging_old_access_logs(app, client, auth, runner, load, write_entry, clock):
    write_entry("a", "เนื้อหา")
    load(write_entry.folder)
    for _ in range(3):
        client.get("/entries/a")
        clock.advance(timedelta(minutes=31))  # past the window in which a reader's views count once
    with app.app_context():
        s = db_session()
        rows = s.scalars(select(AccessLog)).all()
        rows[0].accessed_at = utcnow() - timedelta(days=800)
        rows[1].accessed_at = utcnow() - timedelta(days=400)
        s.commit()
    auth.login("admin")
    resp = auth.post("/admin/access-logs", {"days": "๗๓๐"})  # Thai digits are fine
    assert resp.status_code == 302
    assert "1 รายการ" in client.get("/admin/access-logs").get_data(as_text=True)
    result = runner.invoke(["purge-access-logs", "--older-than", "365", "--yes"])
    assert result.exit_code == 0 and "deleted 1" in result.output
    with app.app_context():
        assert db_session().scalar(select(func.count(AccessLog.id))) == 1
    assert len(_audit(app, "access_logs_purged")) == 2
    assert auth.post("/admin/access-logs", {"days": "0"}).status_code == 400
