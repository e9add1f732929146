"""Single sign-on by OpenID Connect against a small fake identity provider on 127.0.0.1.

The provider (Flask under werkzeug's server, in a thread) has a discovery document, an
authorization endpoint that logs in whoever the test says, a token endpoint that checks the
client secret, the code and the PKCE verifier, and a JWKS; its ID tokens are RS256-signed by
joserfc. The test plays the browser: formflow's test client, and urllib for the provider's
redirect back.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, jsonify, redirect, request
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from test_web import CHEAP, Clock, audits, csrf_of, filled, settings  # noqa: F401 (fixtures)
from werkzeug.serving import make_server

from formflow.config import Settings
from formflow.web.app import create_app

CLIENT_ID = "formflow-test"
SECRET = "hemmelig-klient-noegle"


@dataclass
class Provider:
    """The fake identity provider's state, and what the test makes it do."""

    base: str = ""
    login: str = "lise"  # the preferred_username of whoever logs in there
    nonce: str | None = None  # sign this nonce instead of the one asked for
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    key: Any = None


def _provider_app(provider: Provider) -> Flask:
    app = Flask("fake_idp")

    @app.get("/.well-known/openid-configuration")
    def discovery() -> Any:
        return jsonify(
            issuer=provider.base,
            authorization_endpoint=f"{provider.base}/authorize",
            token_endpoint=f"{provider.base}/token",
            jwks_uri=f"{provider.base}/jwks",
        )

    @app.get("/authorize")
    def authorize() -> Any:
        args = request.args
        assert args["client_id"] == CLIENT_ID and args["response_type"] == "code"
        assert args["code_challenge_method"] == "S256" and "openid" in args["scope"].split()
        code = secrets.token_urlsafe(16)
        provider.codes[code] = dict(args)
        query = urllib.parse.urlencode({"code": code, "state": args["state"]})
        return redirect(f"{args['redirect_uri']}?{query}")

    @app.post("/token")
    def token() -> Any:
        form = request.form
        asked = provider.codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if (
            asked is None
            or form.get("client_secret") != SECRET
            or form.get("redirect_uri") != asked["redirect_uri"]
            or challenge.decode() != asked["code_challenge"]
        ):
            return jsonify(error="invalid_grant"), 400
        now = int(time.time())
        claims = {
            "iss": provider.base,
            "aud": CLIENT_ID,
            "sub": f"sub-{provider.login}",
            "iat": now,
            "exp": now + 300,
            "nonce": provider.nonce or asked["nonce"],
            "preferred_username": provider.login,
        }
        kid = provider.key.kid
        signed = jwt.encode({"alg": "RS256", "kid": kid}, claims, provider.key)
        return jsonify(access_token="at", token_type="Bearer", id_token=signed, expires_in=300)

    @app.get("/jwks")
    def jwks() -> Any:
        return jsonify(KeySet([provider.key]).as_dict(private=False))

    return app


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    found = Provider(key=RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    server = make_server("127.0.0.1", 0, _provider_app(found))
    found.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def sso_app(settings: Settings, provider: Provider, tmp_path: Path) -> Flask:  # noqa: F811
    secret = tmp_path / "client-secret"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    secret.chmod(0o600)
    web = settings.web.__class__(
        sso_metadata_url=f"{provider.base}/.well-known/openid-configuration",
        sso_client_id=CLIENT_ID,
        sso_client_secret_file=str(secret),
    )
    provider.login, provider.nonce = "lise", None
    return create_app(settings.replace(web=web), clock=Clock(), hasher=CHEAP)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _at_provider(url: str) -> str:
    """The browser at the provider: its redirect back to formflow (path and query)."""
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(url, timeout=10)
    with answer.value:  # the redirect's answer, closed (its socket with it)
        back = urllib.parse.urlsplit(answer.value.headers["Location"])
    return f"{back.path}?{back.query}"


def _sso(client: FlaskClient) -> str:
    """Start a single sign-on in `client`; the callback the provider answers with."""
    start = client.get("/login/sso")
    assert start.status_code == 302
    return _at_provider(start.headers["Location"])


def test_the_login_page_offers_the_organisations_account(
    sso_app: Flask,
    settings: Settings,  # noqa: F811
) -> None:
    assert "Log ind med organisationens konto" in sso_app.test_client().get("/login").get_data(
        as_text=True
    )
    plain = create_app(settings, clock=Clock(), hasher=CHEAP)
    client = plain.test_client()
    assert "organisationens konto" not in client.get("/login").get_data(as_text=True)
    assert client.get("/login/sso").status_code == 404


def test_a_login_through_the_provider_gives_the_mapped_users_rights(
    sso_app: Flask,
    settings: Settings,  # noqa: F811
) -> None:
    client = sso_app.test_client()
    start = client.get("/login/sso")
    asked = urllib.parse.parse_qs(urllib.parse.urlsplit(start.headers["Location"]).query)
    assert asked["code_challenge_method"] == ["S256"] and asked["nonce"] and asked["state"]
    back = _at_provider(start.headers["Location"])
    answer = client.get(back)
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    session = next(c for c in answer.headers.getlist("Set-Cookie") if c.startswith("formflow="))
    assert "SameSite=Lax" in session and "HttpOnly" in session
    assert client.get("/medarbejder/1001").status_code == 200  # Lise leads Anna
    assert client.get("/medarbejder/1002").status_code == 404  # and not Bent
    assert "lise (leder)" in client.get("/").get_data(as_text=True)
    logins = [e for e in audits(settings) if e["action"] == "web_login"]
    assert [(e["who"], e["method"]) for e in logins] == [("lise", "sso")]
    replayed = sso_app.test_client()  # the same answer again: the state is used up
    replayed.set_cookie("formflow-sso", asked["state"][0])
    assert replayed.get(back).status_code == 403


def test_an_answer_for_another_browser_is_refused(sso_app: Flask) -> None:
    victim = sso_app.test_client()
    back = _sso(victim)
    attacker = sso_app.test_client()  # the answer, sent to a browser that did not ask
    attacker.get("/login/sso")
    refused = attacker.get(back)
    assert refused.status_code == 403
    assert "ikke til den browser" in refused.get_data(as_text=True)
    assert attacker.get("/").status_code == 302  # not logged in


def test_a_wrong_nonce_is_refused(sso_app: Flask, provider: Provider) -> None:
    provider.nonce = "en-anden-nonce"
    client = sso_app.test_client()
    refused = client.get(_sso(client))
    assert refused.status_code == 403 and "kunne ikke godkendes" in refused.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_an_account_without_a_formflow_user_is_refused(
    sso_app: Flask,
    provider: Provider,
    settings: Settings,  # noqa: F811
) -> None:
    provider.login = "ukendt.person"
    client = sso_app.test_client()
    refused = client.get(_sso(client))
    text = refused.get_data(as_text=True)
    assert refused.status_code == 403 and "har ikke adgang til formflow" in text
    assert client.get("/").status_code == 302
    assert [e["action"] for e in audits(settings)][-1] == "web_login_refused"
    from formflow.web.users import Users

    assert Users.of_archive(settings.archive, hasher=CHEAP).get("ukendt.person") is None


def test_sso_settings_are_checked() -> None:
    from formflow.config import settings_from_dict
    from formflow.errors import SettingsError

    with pytest.raises(SettingsError, match="sso_client_id"):
        settings_from_dict({"web": {"sso_metadata_url": "https://idp.example/.well-known/x"}})


def test_the_provider_is_reached_over_https_only() -> None:
    from formflow.web.sso import Refused, checked_url

    assert (
        checked_url("https://login.microsoftonline.com/x") == "https://login.microsoftonline.com/x"
    )
    assert checked_url("http://127.0.0.1:5000/token") == "http://127.0.0.1:5000/token"
    with pytest.raises(Refused):
        checked_url("http://idp.example/token")


def test_csrf_login_form_still_works_beside_sso(sso_app: Flask) -> None:
    client = sso_app.test_client()
    token = csrf_of(client.get("/login"))
    answer = client.post(
        "/login", data={"login": "anna", "password": "hemmelig-kode-1", "csrf": token}
    )
    assert answer.status_code == 302


def test_a_wrong_client_secret_is_refused_by_the_provider(
    sso_app: Flask,
    tmp_path: Path,
) -> None:
    (tmp_path / "client-secret").write_text("forkert", encoding="utf-8")
    client = sso_app.test_client()
    refused = client.get(_sso(client))
    assert refused.status_code == 403 and "godkendte ikke" in refused.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_a_rotated_key_is_fetched_again(sso_app: Flask, provider: Provider) -> None:
    client = sso_app.test_client()
    assert client.get(_sso(client)).status_code == 302  # the first key is kept
    old = provider.key
    provider.key = RSAKey.generate_key(2048, parameters={"kid": "k2"})
    try:
        again = sso_app.test_client()
        assert again.get(_sso(again)).status_code == 302
    finally:
        provider.key = old
