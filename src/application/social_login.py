"""Logging in with GitHub or Kakao (OAuth2 authorization code with PKCE).

The browser goes to the provider (BeginSocialLogin), comes back with a code that
CompleteSocialLogin trades for the person's identity and a member, and leaves with a one-time
login code that RedeemLoginCode trades for the member's id (the API then hands out the same JWT
pair a password login gives). The JWT pair never travels in a URL.
"""

import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from application.asking import ChatSettings
from application.errors import (
    LastLoginMethod,
    LoginCodeInvalid,
    OAuthStateUsed,
    ProviderEmailTaken,
    ProviderFailed,
    ProviderNotConfigured,
    ProviderNotLinked,
    ValidationFailed,
)
from application.ports import (
    Clock,
    ExternalIdentity,
    IdentityProvider,
    NewMember,
    ProviderUnlinker,
    UnitOfWork,
)
from domain.ids import MemberId
from domain.member import Member
from domain.social import EmailMatch, may_unlink, nickname_candidates, on_matching_email

LOGIN_CODE_TTL = timedelta(seconds=60)
# Time to approve at the provider (a first-time consent screen, a password, two factors): a
# login's state is good for this long after it starts, and a used one is remembered as long.
PENDING_LOGIN_TTL = timedelta(minutes=10)
# An address that can never receive mail (RFC 2606), for members whose provider gave no verified
# email: the column is required and unique, and an unverified address must never be stored, or a
# later login with that address verified elsewhere would be linked to this member.
NO_EMAIL_DOMAIN = "oauth.invalid"
_NICKNAME_ATTEMPTS = 50

log = logging.getLogger(__name__)


def _provider(providers: Mapping[str, IdentityProvider], name: str) -> IdentityProvider:
    try:
        return providers[name]
    except KeyError:
        raise ProviderNotConfigured(f"No login provider {name!r} is configured.") from None


def hash_login_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def hash_state(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class BeginSocialLoginOutput:
    url: str
    state: str
    code_verifier: str


class BeginSocialLogin:
    """Someone clicks "Continue with ...": a fresh state and PKCE verifier, and where to go."""

    def __init__(self, providers: Mapping[str, IdentityProvider]) -> None:
        self._providers = providers

    def __call__(self, provider: str, redirect_uri: str) -> BeginSocialLoginOutput:
        chosen = _provider(self._providers, provider)
        state = secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)  # 64 characters, within RFC 7636's 43..128
        url = chosen.authorization_url(
            state=state, code_verifier=verifier, redirect_uri=redirect_uri
        )
        return BeginSocialLoginOutput(url=url, state=state, code_verifier=verifier)


def ensure_configured(providers: Mapping[str, IdentityProvider], provider: str) -> None:
    _provider(providers, provider)


@dataclass(frozen=True, slots=True)
class CompleteSocialLoginInput:
    provider: str
    state: str
    code: str
    code_verifier: str
    redirect_uri: str


class ProviderCallback(Protocol):
    """What a provider's callback brings, with the verifier its start kept."""

    @property
    def state(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def code_verifier(self) -> str: ...
    @property
    def redirect_uri(self) -> str: ...


def identify(
    uow: UnitOfWork,
    provider: IdentityProvider,
    clock: Clock,
    state_ttl: timedelta,
    data: ProviderCallback,
) -> ExternalIdentity:
    """Spend the callback's state, once, then trade its code for the person's identity."""
    # Before the provider sees the code: a replayed callback (a saved copy of the browser's
    # cookie) must not send it there again. Committed at once, so a state stays spent even
    # when the provider then fails.
    now = clock.now()
    with uow:
        fresh = uow.oauth_states.spend(hash_state(data.state), now + state_ttl, now)
        uow.commit()
    if not fresh:
        raise OAuthStateUsed("This login or link was completed already; please start again.")
    # No transaction is open while the provider answers.
    return provider.fetch_identity(
        code=data.code, code_verifier=data.code_verifier, redirect_uri=data.redirect_uri
    )


@dataclass(frozen=True, slots=True)
class CompleteSocialLoginOutput:
    member_id: MemberId
    login_code: str
    created: bool


class CompleteSocialLogin:
    """The provider sent the person back with a code, for a state the caller has checked
    belongs to this browser. Spend the state, once. Find the member by the provider's account
    id; else the member whose email the provider says is verified, linked when the rules of
    domain.social.on_matching_email allow it; else make a new member. Answer with a one-time
    login code, valid for a minute."""

    def __init__(
        self,
        uow: UnitOfWork,
        providers: Mapping[str, IdentityProvider],
        clock: Clock,
        settings: ChatSettings,
        code_ttl: timedelta = LOGIN_CODE_TTL,
        state_ttl: timedelta = PENDING_LOGIN_TTL,
    ) -> None:
        self._uow = uow
        self._providers = providers
        self._clock = clock
        self._policy = settings.policy
        self._ttl = code_ttl
        self._state_ttl = state_ttl

    def __call__(self, data: CompleteSocialLoginInput) -> CompleteSocialLoginOutput:
        identity = identify(
            self._uow, _provider(self._providers, data.provider), self._clock, self._state_ttl, data
        )
        login_code = secrets.token_urlsafe(32)
        with self._uow as uow:
            member_id, created = self._member_for(uow, identity)
            uow.login_codes.add(
                hash_login_code(login_code), member_id, self._clock.now() + self._ttl
            )
            uow.commit()
        return CompleteSocialLoginOutput(member_id, login_code, created)

    def _member_for(self, uow: UnitOfWork, identity: ExternalIdentity) -> tuple[MemberId, bool]:
        found = uow.social.member_for(identity.provider, identity.account_id)
        if found is not None:
            return found, False
        email = identity.email.strip() if identity.email and identity.email_verified else None
        owner = uow.members.find_by_email(email) if email else None
        if owner is not None:
            match = on_matching_email(owner, identity.provider, uow.social.providers_of(owner.id))
            if match is EmailMatch.REFUSE:
                raise ProviderEmailTaken(
                    "An account with this email exists. Log in with its password, then "
                    "connect this provider from Settings."
                )
            if match is EmailMatch.LINK:
                uow.social.link(owner.id, identity.provider, identity.account_id)
                return owner.id, False
            email = None  # the address stays the owner's
        member = self._new_member(uow, identity, email)
        uow.social.link(member.id, identity.provider, identity.account_id)
        return member.id, True

    def _new_member(self, uow: UnitOfWork, identity: ExternalIdentity, email: str | None) -> Member:
        address = email or f"{identity.provider}.{secrets.token_hex(8)}@{NO_EMAIL_DOMAIN}"
        candidates = nickname_candidates(identity.nickname, fallback=f"{identity.provider}user")
        for _, nickname in zip(range(_NICKNAME_ATTEMPTS), candidates, strict=False):
            if not uow.members.nickname_taken(nickname):
                new = NewMember(
                    email=address,
                    nickname=nickname,
                    born_year=None,
                    job=None,
                    # The provider verified it; made-up addresses are nobody's.
                    email_verified=email is not None,
                )
                member = uow.members.add(new, None)
                if email is not None:
                    today = self._policy.day_of(self._clock.now())
                    uow.quota.carry_over(member.id, member.email, today)
                return member
        raise ValidationFailed({"nickname": ["No free nickname could be made from the profile."]})


class RedeemLoginCode:
    """The front end trades the one-time login code for the member it stands for, once."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, code: str) -> MemberId:
        with self._uow as uow:
            member_id = uow.login_codes.take(hash_login_code(code), self._clock.now())
            uow.commit()
        if member_id is None:
            raise LoginCodeInvalid("This login code is unknown, used already or expired.")
        return member_id


@dataclass(frozen=True, slots=True)
class UnlinkProviderInput:
    member_id: MemberId
    provider: str


def unlink_at_provider(
    unlinkers: Mapping[str, ProviderUnlinker],
    provider: str,
    account_id: str | None,
    member_id: MemberId,
) -> None:
    """Tell the provider, when it keeps its own record of the link (Kakao), that the link is
    gone here. Called after the link is removed here: a provider that fails is logged, never
    a reason to keep a link the member dropped or an account they closed."""
    unlinker = unlinkers.get(provider)
    if unlinker is None or account_id is None:
        return
    try:
        unlinker.unlink(account_id)
    except ProviderFailed:
        # The account id lets an operator finish the unlink by hand; it is no secret.
        log.warning(
            "unlinked here but not at the provider",
            extra={"provider": provider, "member": member_id, "account_id": account_id},
        )


class UnlinkProvider:
    """A member drops a linked provider, as long as another way to log in remains; the
    provider is told too when it keeps a record of the link (Kakao, with an admin key)."""

    def __init__(
        self,
        uow: UnitOfWork,
        providers: Mapping[str, IdentityProvider],
        unlinkers: Mapping[str, ProviderUnlinker] | None = None,
    ) -> None:
        self._uow = uow
        self._providers = providers
        self._unlinkers = unlinkers or {}

    def __call__(self, data: UnlinkProviderInput) -> list[str]:
        _provider(self._providers, data.provider)
        with self._uow as uow:
            linked = uow.social.providers_of(data.member_id)
            if data.provider not in linked:
                raise ProviderNotLinked(f"{data.provider!r} is not linked to this account.")
            if not may_unlink(data.provider, linked, uow.members.has_password(data.member_id)):
                raise LastLoginMethod(
                    "This is your only way to log in; link another provider first."
                )
            account_id = uow.social.account_of(data.member_id, data.provider)
            uow.social.unlink(data.member_id, data.provider)
            uow.commit()
        # No transaction is open while the provider answers.
        unlink_at_provider(self._unlinkers, data.provider, account_id, data.member_id)
        return [p for p in linked if p != data.provider]
