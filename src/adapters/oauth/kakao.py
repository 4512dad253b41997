"""Kakao Login: https://developers.kakao.com/docs/latest/en/kakaologin/rest-api."""

import logging

import httpx2
from authlib.integrations.httpx_client import OAuth2Client

from adapters.oauth.base import (
    OAuthIdentityProvider,
    an_account_id,
    an_object,
    an_optional_object,
    an_optional_text,
)
from application.errors import ProviderFailed
from application.ports import ExternalIdentity, ProviderUnlinker

log = logging.getLogger(__name__)


class KakaoIdentityProvider(OAuthIdentityProvider):
    name = "kakao"
    scope = "profile_nickname account_email"
    authorize_path = "/oauth/authorize"
    token_path = "/oauth/token"  # noqa: S105 (a path, not a secret)

    def _identity(self, client: OAuth2Client) -> ExternalIdentity:
        user = an_object(self._get(client, "/v2/user/me"), "/v2/user/me")
        # Kakao leaves out what the person did not consent to.
        account = an_optional_object(user.get("kakao_account"), "kakao_account")
        profile = an_optional_object(account.get("profile"), "kakao_account.profile")
        properties = an_optional_object(user.get("properties"), "properties")
        nickname = an_optional_text(
            profile.get("nickname"), "profile.nickname"
        ) or an_optional_text(properties.get("nickname"), "properties.nickname")
        address = an_optional_text(account.get("email"), "kakao_account.email")
        # Kakao says both whether the address is valid (still in use) and whether it was
        # verified; only an address that is both may find an existing member.
        verified = (
            account.get("is_email_valid") is True and account.get("is_email_verified") is True
        )
        email = address if verified else None
        return ExternalIdentity(
            provider=self.name,
            account_id=an_account_id(user.get("id"), "id"),
            nickname=nickname,
            email=email,
            email_verified=email is not None,
        )


class KakaoAppUnlinker(ProviderUnlinker):
    """Kakao's "unlink" with the app's admin key: Kakao forgets that the person connected this
    app, as if they had disconnected it from their Kakao account."""

    def __init__(self, *, admin_key: str, api_url: str, timeout_s: float = 10.0) -> None:
        self._admin_key = admin_key
        self._url = api_url.rstrip("/") + "/v1/user/unlink"
        self._timeout_s = timeout_s

    def unlink(self, account_id: str) -> None:
        try:
            with httpx2.Client(timeout=self._timeout_s) as client:
                answer = client.post(
                    self._url,
                    headers={"Authorization": f"KakaoAK {self._admin_key}"},
                    data={"target_id_type": "user_id", "target_id": account_id},
                )
        except httpx2.HTTPError as error:
            # The type only: an httpx error's text may hold the request, and so the key.
            log.warning("kakao unlink failed", extra={"error": type(error).__name__})
            raise ProviderFailed("Kakao could not be reached.") from None
        if answer.is_success:
            return
        try:
            body = answer.json()
        except ValueError:
            body = None
        # Kakao's own error number (e.g. -101, an account not connected to the app), if any.
        kakao_code = body.get("code") if isinstance(body, dict) else None
        if not isinstance(kakao_code, int):
            kakao_code = None
        log.warning(
            "kakao unlink refused",
            extra={"status": answer.status_code, "kakao_code": kakao_code},
        )
        raise ProviderFailed("Kakao refused to unlink the account.")
