"""What tests share besides fixtures: reading the site as a browser or an API client
would, and the accounts every role test signs in with."""

from __future__ import annotations

import re


def search(client, q, **params):
    """GET /api/search and return the JSON."""
    resp = client.get("/api/search", query_string={"q": q, **params})
    assert resp.status_code == 200
    return resp.get_json()




#: One account per role (plus a plain reader), password PASSWORD; see the ``users`` fixture.
PASSWORD = "correct horse battery"
ROLE_ACCOUNTS = {
    "reader": (),
    "contributor": ("contributor",),
    "supervisor": ("supervisor",),
    "km_team": ("km_team",),
    "cko": ("cko",),
    "admin": ("admin",),
}


def csrf_token(client, path="/") -> str:
    """The CSRF token of the client's session, read from a page as a browser would."""
    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, username="reader", password=PASSWORD):
        """Sign in through the form; returns the response (not followed)."""
        token = csrf_token(self.client, "/account/login")
        return self.client.post("/account/login", data={"username": username, "password": password,
                                                        "csrf_token": token})

    def logout(self):
        return self.client.post("/account/logout", data={"csrf_token": csrf_token(self.client)})

    def post(self, path, data=None, **kwargs):
        """POST a form with the session's CSRF token added."""
        data = dict(data or {})
        data.setdefault("csrf_token", csrf_token(self.client))
        return self.client.post(path, data=data, **kwargs)
