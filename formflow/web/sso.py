"""Single sign-on by OpenID Connect (optional; what Danish organisations run: Entra ID).

The authorization code flow with PKCE (Authlib makes the S256 challenge and the random
values): `/login/sso` sends the browser to the identity provider with a state, a nonce and
the challenge, kept server-side in the users file (`Users.keep_sso_login`) under the state,
which the browser also holds in a cookie; `/login/sso/svar` takes the answer once, only from
the browser that asked (the state given back must be its cookie's), trades the code for
tokens with the client secret and the PKCE verifier, and checks the ID token (joserfc, from
Authlib's author: RS256 signed by a key of the provider's JWKS; issuer, audience, expiry and
the nonce). The claim `web.sso_login_claim` names the formflow login; a user must exist
(`formflow users add`): nobody is made by logging in, and the user's role and person are
formflow's own. The provider is reached over HTTPS (plain HTTP only on this machine, for
tests); its discovery document and keys are read when first needed and kept.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from formflow.config import WebSettings
from formflow.errors import FormflowError
from formflow.web.users import User, Users, UsersError, normal_login

PENDING_SECONDS = 600  # a login at the identity provider may take this long
LEEWAY_SECONDS = 60  # clocks differ a little
TIMEOUT = 10
LOOPBACK = ("127.0.0.1", "localhost", "::1")

Fetch = Callable[[urllib.request.Request], Mapping[str, Any]]


class Refused(FormflowError):
    """A single sign-on that does not log anybody in; the message is Danish, for the page."""


@dataclass(frozen=True)
class Provider:
    """What formflow uses of the identity provider's discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


def fetch_json(request: urllib.request.Request) -> Mapping[str, Any]:
    """The JSON object an HTTPS (or loopback HTTP) request answers with."""
    checked_url(request.full_url)
    with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
        found = json.loads(answer.read(1_000_000))
    if not isinstance(found, dict):
        raise Refused("Identitetsudbyderen svarede ikke, som den skulle.")
    return found


def checked_url(url: str) -> str:
    """`url` if it is HTTPS, or HTTP to this machine; else a refusal."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK):
        return url
    raise Refused("Identitetsudbyderen skal nås over HTTPS.")


class SingleSignOn:
    """The single sign-on of `web` settings over the users file `users`."""

    def __init__(self, web: WebSettings, users: Users, fetch: Fetch = fetch_json) -> None:
        self.web = web
        self.users = users
        self.fetch = fetch
        self._lock = threading.Lock()
        self._provider: Provider | None = None
        self._keys: KeySet | None = None

    @property
    def configured(self) -> bool:
        return bool(self.web.sso_metadata_url)

    def provider(self) -> Provider:
        with self._lock:
            if self._provider is None:
                found = self.fetch(urllib.request.Request(self.web.sso_metadata_url))
                try:
                    self._provider = Provider(
                        *(str(found[k]) for k in Provider.__dataclass_fields__)
                    )
                except KeyError as missing:
                    raise Refused("Identitetsudbyderens oplysninger er ufuldstændige.") from missing
            return self._provider

    def begin(self, redirect_uri: str) -> tuple[str, str]:
        """(the provider's URL to send the browser to, the state for its cookie)."""
        provider = self.provider()
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        self.users.keep_sso_login(state, nonce, verifier)
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": self.web.sso_client_id,
                "redirect_uri": redirect_uri,
                "scope": "openid profile email",
                "state": state,
                "nonce": nonce,
                "code_challenge": create_s256_code_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        endpoint = checked_url(provider.authorization_endpoint)
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}", state

    def finish(self, answer: Mapping[str, str], cookie: str, redirect_uri: str) -> User:
        """The formflow user the provider's `answer` (the callback's query) logs in."""
        if answer.get("error"):
            raise Refused("Identitetsudbyderen loggede dig ikke ind.")
        state = answer.get("state", "")
        if not state or state != cookie:
            raise Refused("Svaret kom ikke til den browser, der bad om det. Prøv igen.")
        pending = self.users.take_sso_login(state, PENDING_SECONDS)
        if pending is None:
            raise Refused("Log ind er udløbet eller allerede brugt. Prøv igen.")
        nonce, verifier = pending
        tokens = self._tokens(answer.get("code", ""), verifier, redirect_uri)
        claims = self._claims(str(tokens.get("id_token", "")), nonce)
        return self._user(claims)

    def _tokens(self, code: str, verifier: str, redirect_uri: str) -> Mapping[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.web.sso_client_id,
            "client_secret": self._secret(),
            "code_verifier": verifier,
        }
        request = urllib.request.Request(
            checked_url(self.provider().token_endpoint),
            data=urllib.parse.urlencode(form).encode("ascii"),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        try:
            return self.fetch(request)
        except urllib.error.HTTPError as error:  # the provider refused the code
            error.close()
            raise Refused("Identitetsudbyderen godkendte ikke log ind.") from error

    def _secret(self) -> str:
        try:
            return Path(self.web.sso_client_secret_file).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise Refused("Log ind med organisationens konto er ikke sat rigtigt op.") from error

    def _claims(self, id_token: str, nonce: str) -> Mapping[str, Any]:
        """The ID token's claims, once its signature, issuer, audience, expiry and nonce hold."""
        wanted = jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": self.provider().issuer},
            aud={"essential": True, "value": self.web.sso_client_id},
            nonce={"essential": True, "value": nonce},
            sub={"essential": True},
            exp={"essential": True},
        )
        try:
            token = self._decoded(id_token)
            wanted.validate(token.claims)
        except (JoseError, ValueError) as error:
            raise Refused("Identitetsudbyderens svar kunne ikke godkendes.") from error
        return token.claims

    def _decoded(self, id_token: str) -> Any:
        """The ID token, its signature checked; with the provider's keys read again once
        when none of the kept ones fits (providers rotate their keys)."""
        try:
            return jwt.decode(id_token, self._key_set(), algorithms=["RS256"])
        except JoseError:
            with self._lock:
                self._keys = None
            return jwt.decode(id_token, self._key_set(), algorithms=["RS256"])

    def _key_set(self) -> KeySet:
        with self._lock:
            if self._keys is None:
                jwks_uri = self._provider.jwks_uri if self._provider else ""
                found = self.fetch(urllib.request.Request(checked_url(jwks_uri)))
                self._keys = KeySet.import_key_set(dict(found))  # type: ignore[arg-type]
            return self._keys

    def _user(self, claims: Mapping[str, Any]) -> User:
        named = claims.get(self.web.sso_login_claim)
        try:
            user = self.users.get(normal_login(named)) if isinstance(named, str) else None
        except UsersError:
            user = None
        if user is None:
            raise Refused(
                "Din konto i organisationen har ikke adgang til formflow. Spørg HR, om du "
                "skal have det."
            )
        return user
