"""GitHub OAuth apps: https://docs.github.com/en/apps/oauth-apps/building-oauth-apps."""

from authlib.integrations.httpx_client import OAuth2Client

from adapters.oauth.base import OAuthIdentityProvider
from application.ports import ExternalIdentity

_JSON = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


class GitHubIdentityProvider(OAuthIdentityProvider):
    name = "github"
    scope = "read:user user:email"
    authorize_path = "/login/oauth/authorize"
    token_path = "/login/oauth/access_token"  # noqa: S105 (a path, not a secret)

    def _identity(self, client: OAuth2Client) -> ExternalIdentity:
        user = self._get(client, "/user", **_JSON)
        emails = self._get(client, "/user/emails", **_JSON)
        # Only the primary address, and only when GitHub verified it.
        primary = next(
            (e for e in emails if isinstance(e, dict) and e.get("primary") is True), None
        )
        verified = primary is not None and primary.get("verified") is True
        return ExternalIdentity(
            provider=self.name,
            account_id=str(int(user["id"])),
            nickname=str(user.get("login") or user.get("name") or "") or None,
            email=str(primary["email"]) if verified and primary else None,
            email_verified=verified,
        )
