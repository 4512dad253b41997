"""Kakao Login: https://developers.kakao.com/docs/latest/en/kakaologin/rest-api."""

from authlib.integrations.httpx_client import OAuth2Client

from adapters.oauth.base import (
    OAuthIdentityProvider,
    an_account_id,
    an_object,
    an_optional_object,
    an_optional_text,
)
from application.ports import ExternalIdentity


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
