"""A logged-in member connects GitHub or Kakao to their account, and Kakao tells us a person
disconnected this app.

Linking is its own flow, not a login: the member asks for the provider's authorization URL
(BeginSocialLogin makes the state and the PKCE verifier), the caller binds that state to the
member and to their browser, and the provider's code comes back to CompleteProviderLink, which
links the account it names to that member and to nobody else. No email is compared: the member
proved who they are here by their login, and who they are at the provider by the consent.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from application.errors import (
    ProviderAccountTaken,
    ProviderAlreadyLinked,
    ValidationFailed,
)
from application.ports import Clock, IdentityProvider, UnitOfWork
from application.social_login import PENDING_LOGIN_TTL, ensure_configured, identify
from domain.ids import MemberId


@dataclass(frozen=True, slots=True)
class CompleteProviderLinkInput:
    member_id: MemberId  # the member the caller bound the state to
    provider: str
    state: str
    code: str
    code_verifier: str
    redirect_uri: str


class CompleteProviderLink:
    """The provider sent the member back with a code, for a state the caller has checked
    belongs to this member and this browser. Spend the state, once; link the provider account
    to the member. Linking the account the member has linked already changes nothing; an
    account linked to another member is refused (ProviderAccountTaken), and so is a second
    account of a provider the member has one of (ProviderAlreadyLinked)."""

    def __init__(
        self,
        uow: UnitOfWork,
        providers: Mapping[str, IdentityProvider],
        clock: Clock,
        state_ttl: timedelta = PENDING_LOGIN_TTL,
    ) -> None:
        self._uow = uow
        self._providers = providers
        self._clock = clock
        self._state_ttl = state_ttl

    def __call__(self, data: CompleteProviderLinkInput) -> None:
        ensure_configured(self._providers, data.provider)
        provider = self._providers[data.provider]
        identity = identify(self._uow, provider, self._clock, self._state_ttl, data)
        with self._uow as uow:
            uow.members.get(data.member_id)  # MemberNotFound: they left meanwhile
            holder = uow.social.member_for(identity.provider, identity.account_id)
            if holder == data.member_id:
                return
            if holder is not None:
                raise ProviderAccountTaken(
                    f"This {identity.provider} account is connected to another account here."
                )
            if identity.provider in uow.social.providers_of(data.member_id):
                raise ProviderAlreadyLinked(
                    f"Another {identity.provider} account is connected; disconnect it first."
                )
            try:
                uow.social.link(data.member_id, identity.provider, identity.account_id)
            except ValidationFailed:
                # Another member linked it (or logged in with it) a moment ago.
                raise ProviderAccountTaken(
                    f"This {identity.provider} account is connected to another account here."
                ) from None
            uow.commit()


class ForgetProviderAccount:
    """The provider says the person disconnected this app (Kakao's unlink callback): the link
    goes here too. The member stays, whatever ways to log in remain to them. Returns the member
    the account was linked to, if any."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def __call__(self, provider: str, account_id: str) -> MemberId | None:
        with self._uow as uow:
            member = uow.social.unlink_account(provider, account_id)
            uow.commit()
        return member
