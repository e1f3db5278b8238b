"""A sweep over every route of the site, as anonymous, reader and admin, with hostile
values in each path and query parameter: no answer is a 500, none takes 2 seconds."""

from __future__ import annotations

import re
import time
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmrepo import create_app
from kmrepo.accounts.service import create_user
from kmrepo.cli import demo_content_path
from kmrepo.db import session as db_session
from kmrepo.library.loader import load_paths

from .helpers import PASSWORD, AuthActions

#: Bytes that are not UTF-8, sent raw in the path and in the query string.
BAD_UTF8 = "%ff%fe%C3"
#: Query parameters any page reads.
PARAMS = ("q", "page", "limit", "type", "department", "item", "year", "sort", "exact", "action", "user", "next")
HOSTILE = [
    "99999999999999999999999", str(2**63), str(2**31), "-1", "0", "๑๒๓", "\x00", "a\x00b", BAD_UTF8,
    "ก" * 5000, "x" * 100_000, "' OR 1=1 --", '"', "NEAR(a b)", "../../etc/passwd", "<script>alert(1)</script>",
    "\r\nSet-Cookie: a=b", "２５７０", "2570", "", " ",
]
hostile_text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=300), st.integers().map(str),
                         st.binary(max_size=20).map(lambda b: b.decode("latin-1")))


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    from kmrepo.accounts import models as account_models

    account_models.PASSWORD_HASH_METHOD, saved = "pbkdf2:sha256:1000", account_models.PASSWORD_HASH_METHOD
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path_factory.mktemp("sweep") / "instance")})
    with app.app_context():
        load_paths(db_session(), [demo_content_path()])
        create_user(db_session(), "reader", PASSWORD, full_name="ผู้อ่าน")
        create_user(db_session(), "admin", PASSWORD, full_name="ผู้ดูแล", roles={"admin", "km_team", "cko"})
    account_models.PASSWORD_HASH_METHOD = saved
    clients = {"anonymous": app.test_client()}
    for name in ("reader", "admin"):
        clients[name] = app.test_client()
        assert AuthActions(clients[name]).login(name).status_code == 302
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    return app, clients, rules


def _url(rule, value: str) -> str:
    """The rule's path with every variable set to ``value`` (percent-encoded)."""
    raw = value if value == BAD_UTF8 else quote(value, safe="")
    return re.sub(r"<[^>]+>", lambda _m: raw or "x", rule.rule)


def _check(client, method: str, url: str, params: dict[str, str]) -> None:
    started = time.perf_counter()
    if method == "GET" and BAD_UTF8 in params.values():
        resp = client.get(url + "?" + "&".join(f"{k}={BAD_UTF8}" for k in params))
    elif method == "GET":
        resp = client.get(url, query_string=params)
    else:
        resp = client.post(url, data=params)
    elapsed = time.perf_counter() - started
    assert resp.status_code < 500, (method, url, {k: v[:40] for k, v in params.items()}, resp.status_code)
    assert elapsed < 2.0, (method, url, f"{elapsed:.2f} s")


@pytest.mark.parametrize("role", ["anonymous", "reader", "admin"])
def test_every_route_with_every_hostile_value(swept, role):
    _app, clients, rules = swept
    client = clients[role]
    for rule in rules:
        for method in sorted(rule.methods & {"GET", "POST"}):
            for value in HOSTILE:
                if method == "POST":
                    params = {"title": value, "body": value}
                elif len(value) > 1000:  # one long parameter at a time: the path has it too
                    params = {"q": value}
                else:
                    params = dict.fromkeys(PARAMS, value)
                _check(client, method, _url(rule, value), params)
    if role != "anonymous":
        assert client.get("/api/me").get_json()["signed_in"] is True  # nothing signed it out


@pytest.mark.parametrize("role", ["anonymous", "reader", "admin"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_routes_and_parameters(swept, role, data):
    _app, clients, rules = swept
    rule = data.draw(st.sampled_from(rules))
    method = data.draw(st.sampled_from(sorted(rule.methods & {"GET", "POST"})))
    value = data.draw(hostile_text)
    params = data.draw(st.dictionaries(st.sampled_from(PARAMS), hostile_text, max_size=4))
    _check(clients[role], method, _url(rule, value), params)
