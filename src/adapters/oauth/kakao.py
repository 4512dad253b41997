"""Kakao Login: https://developers.kakao.com/docs/latest/en/kakaologin/rest-api."""

from authlib.integrations.httpx_client import OAuth2Client

from adapters.oauth.base import OAuthIdentityProvider
from application.ports import ExternalIdentity


class KakaoIdentityProvider(OAuthIdentityProvider):
    name = "kakao"
    scope = "profile_nickname account_email"
    authorize_path = "/oauth/authorize"
    token_path = "/oauth/token"  # noqa: S105 (a path, not a secret)

    def _identity(self, client: OAuth2Client) -> ExternalIdentity:
        user = self._get(client, "/v2/user/me")
        account = user.get("kakao_account") or {}
        profile = account.get("profile") or {}
        nickname = profile.get("nickname") or (user.get("properties") or {}).get("nickname")
        # Kakao says both whether the address is valid (still in use) and whether it was
        # verified; only an address that is both may find an existing member.
        verified = (
            account.get("is_email_valid") is True and account.get("is_email_verified") is True
        )
        email = account.get("email") if verified and account.get("email") else None
        return ExternalIdentity(
            provider=self.name,
            account_id=str(int(user["id"])),
            nickname=str(nickname) if nickname else None,
            email=str(email) if email else None,
            email_verified=verified and email is not None,
        )
