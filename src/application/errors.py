from datetime import datetime


class ApplicationError(Exception):
    """A request that cannot be served as asked. `code` is stable and machine-readable."""

    code = "error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
        # Public, machine-readable facts that go with the error (e.g. the chat that was kept).
        self.extra: dict[str, object] = {}


class ValidationFailed(ApplicationError):
    code = "invalid"

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("The request has invalid fields.")
        self.errors = errors


class PersonalDataRefused(ApplicationError):
    """Text that would be public holds a resident registration or payment card number. The
    answer names the field and the kind, never the number."""

    code = "personal_data"

    def __init__(self, detail: str, *, field: str, kind: str) -> None:
        super().__init__(detail)
        self.extra = {"field": field, "kind": kind, "errors": {field: [detail]}}


class MemberNotFound(ApplicationError):
    code = "member_not_found"


class MemberInactive(ApplicationError):
    """The member a valid access token names is deactivated or gone."""

    code = "token_not_valid"


class ChatNotFound(ApplicationError):
    code = "chat_not_found"


class NotChatOwner(ApplicationError):
    code = "not_chat_owner"


class DailyQuotaExceeded(ApplicationError):
    code = "daily_quota_exceeded"

    def __init__(self, limit: int, resets_at: datetime) -> None:
        super().__init__(
            f"The daily limit of {limit} requests is used up until {resets_at.isoformat()}."
        )
        self.limit = limit
        self.resets_at = resets_at


class ModelError(ApplicationError):
    """The chat model gave no answer. Raised by ChatModel adapters."""

    code = "upstream_error"


class ModelUnavailable(ModelError):
    code = "upstream_error"


class ModelBusy(ModelError):
    code = "upstream_busy"


class ModelTimeout(ModelError):
    code = "upstream_timeout"


class ProviderNotConfigured(ApplicationError):
    """No such login provider, or it is not configured here."""

    code = "oauth_provider_not_found"


class ProviderEmailTaken(ApplicationError):
    """A provider login brought the address of a member whose ownership of it the product has
    not verified (a password sign-up): the login is refused rather than joined to that member."""

    code = "oauth_email_taken"


class ProviderAccountTaken(ApplicationError):
    """The provider account a member tries to link is linked to another member."""

    code = "oauth_account_taken"


class ProviderAlreadyLinked(ApplicationError):
    """The member has another account of this provider linked: one per provider."""

    code = "oauth_provider_already_linked"


class OAuthStateUsed(ApplicationError):
    """The login's state was used already, whatever the browser kept."""

    code = "oauth_state_invalid"


class ProviderFailed(ApplicationError):
    """The login provider refused the code or failed. Raised by IdentityProvider adapters."""

    code = "oauth_provider_error"


class LoginCodeInvalid(ApplicationError):
    """The one-time login code is unknown, used already or expired."""

    code = "oauth_code_invalid"


class ProviderNotLinked(ApplicationError):
    code = "oauth_provider_not_linked"


class LastLoginMethod(ApplicationError):
    """Unlinking would leave the member no way to log in."""

    code = "last_login_method"


class TokenInvalid(ApplicationError):
    """A mailed token that is unknown, used, expired or meant for something else."""

    code = "token_invalid"


class NoPassword(ApplicationError):
    """The member has no password to check (made by a provider login)."""

    code = "no_password"


class LoginTooOld(ApplicationError):
    """The step needs a login more recent than the one the request's token comes from."""

    code = "login_too_old"


class UnderAge(ValidationFailed):
    """A birth year that makes the person younger than the product serves (14)."""

    code = "under_14"


class EmailUnverified(ApplicationError):
    """The step (chatting, reporting) needs an email the member proved is theirs (a mailed link,
    a provider)."""

    code = "email_unverified"


class ChatHidden(ApplicationError):
    """The chat is hidden by moderation: its owner may read and delete it, not change it."""

    code = "chat_hidden"


class OwnChatReport(ApplicationError):
    """A member reported a chat of their own."""

    code = "own_chat"


class AlreadyReported(ApplicationError):
    """The member reported this chat before: once per member per chat."""

    code = "already_reported"


class ConsentRequired(ApplicationError):
    """The member has not agreed to the terms, the privacy policy and the age statement in the
    versions in force."""

    code = "consent_required"


class NotAnswered(ApplicationError):
    """The turn has no answer to rate: it is still being written, or it failed."""

    code = "not_answered"


class SearchQueryTooLong(ApplicationError):
    code = "query_too_long"
