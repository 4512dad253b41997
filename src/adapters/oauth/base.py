"""What GitHub and Kakao share: authlib's OAuth2 client for the authorization URL and the token
exchange, the readers of a reply's shape, and one mapping of every fault to ProviderFailed."""

import logging
from abc import abstractmethod
from typing import Any

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.httpx_client import OAuth2Client
from httpx2 import HTTPError

from application.errors import ProviderFailed
from application.ports import ExternalIdentity, IdentityProvider

log = logging.getLogger(__name__)


class UnexpectedReply(ValueError):
    """A provider's reply is not of the shape its documentation gives."""


def an_object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UnexpectedReply(f"{what} is not an object")
    return value


def an_optional_object(value: Any, what: str) -> dict[str, Any]:
    """An object, or {} when the provider left it out (null or absent)."""
    return {} if value is None else an_object(value, what)


def a_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise UnexpectedReply(f"{what} is not a list")
    return value


def an_optional_text(value: Any, what: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise UnexpectedReply(f"{what} is not text")
    return value or None


def an_account_id(value: Any, what: str) -> str:
    # Both providers number their accounts; a bool is an int to Python, not to them.
    if not isinstance(value, int) or isinstance(value, bool):
        raise UnexpectedReply(f"{what} is not a number")
    return str(value)


class OAuthIdentityProvider(IdentityProvider):
    name: str
    scope: str
    authorize_path: str
    token_path: str

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str | None,
        auth_url: str,
        api_url: str,
        timeout_s: float = 10.0,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._auth_url = auth_url.rstrip("/")
        self._api_url = api_url.rstrip("/")
        self._timeout_s = timeout_s

    def _client(self, redirect_uri: str) -> OAuth2Client:
        return OAuth2Client(
            client_id=self._client_id,
            client_secret=self._client_secret,
            # Both providers take the secret in the form body.
            token_endpoint_auth_method="client_secret_post" if self._client_secret else "none",
            scope=self.scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=self._timeout_s,
        )

    def authorization_url(self, *, state: str, code_verifier: str, redirect_uri: str) -> str:
        with self._client(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                self._auth_url + self.authorize_path, state=state, code_verifier=code_verifier
            )
        return str(url)

    def fetch_identity(
        self, *, code: str, code_verifier: str, redirect_uri: str
    ) -> ExternalIdentity:
        try:
            with self._client(redirect_uri) as client:
                token = client.fetch_token(
                    self._auth_url + self.token_path,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                )
                if not isinstance(token.get("access_token"), str) or not token["access_token"]:
                    raise UnexpectedReply("the token reply has no access_token")
                return self._identity(client)
        # ValueError covers a body that is not JSON and UnexpectedReply; KeyError and TypeError a
        # token reply authlib cannot read.
        except (AuthlibBaseError, HTTPError, ValueError, KeyError, TypeError) as error:
            # The type and the provider's own error code only: nothing here holds a secret.
            log.warning(
                "login provider failed",
                extra={
                    "provider": self.name,
                    "error": type(error).__name__,
                    "oauth_error": getattr(error, "error", None),
                },
            )
            raise ProviderFailed(f"{self.name} did not complete the login.") from None

    def _get(self, client: OAuth2Client, path: str, **headers: str) -> Any:
        answer = client.get(self._api_url + path, headers=headers)
        answer.raise_for_status()
        return answer.json()

    @abstractmethod
    def _identity(self, client: OAuth2Client) -> ExternalIdentity:
        """Read the account with the client's token."""
