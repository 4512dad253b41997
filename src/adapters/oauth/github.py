"""GitHub OAuth apps: https://docs.github.com/en/apps/oauth-apps/building-oauth-apps."""

from authlib.integrations.httpx_client import OAuth2Client

from adapters.oauth.base import (
    OAuthIdentityProvider,
    a_list,
    an_account_id,
    an_object,
    an_optional_text,
)
from application.ports import ExternalIdentity

_JSON = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


class GitHubIdentityProvider(OAuthIdentityProvider):
    name = "github"
    scope = "read:user user:email"
    authorize_path = "/login/oauth/authorize"
    token_path = "/login/oauth/access_token"  # noqa: S105 (a path, not a secret)

    def _identity(self, client: OAuth2Client) -> ExternalIdentity:
        user = an_object(self._get(client, "/user", **_JSON), "/user")
        emails = [
            an_object(entry, "an entry of /user/emails")
            for entry in a_list(self._get(client, "/user/emails", **_JSON), "/user/emails")
        ]
        # Only the primary address, and only when GitHub verified it.
        primary = next((e for e in emails if e.get("primary") is True), None)
        verified = primary is not None and primary.get("verified") is True
        address = an_optional_text(primary.get("email"), "the email") if primary else None
        nickname = an_optional_text(user.get("login"), "login") or an_optional_text(
            user.get("name"), "name"
        )
        return ExternalIdentity(
            provider=self.name,
            account_id=an_account_id(user.get("id"), "id"),
            nickname=nickname,
            email=address if verified else None,
            email_verified=verified and address is not None,
        )
