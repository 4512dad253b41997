"""Mailed one-time links: verifying a member's email and resetting a forgotten password.

A token is 32 random bytes (URL-safe), mailed once and stored only as its SHA-256, with its
purpose, member, expiry and the time it was used: whoever reads the database cannot use one, and
a token works once (the storage's atomic `use` decides between concurrent callers)."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urljoin

from application.errors import TokenInvalid, ValidationFailed
from application.members import RegisterMember, RegisterMemberInput, has_placeholder_email
from application.ports import (
    Clock,
    Mail,
    Mailer,
    NewMember,
    PasswordPolicy,
    TokenPurpose,
    UnitOfWork,
)
from domain.ids import MemberId
from domain.member import Member

VERIFICATION_LIFETIME = timedelta(hours=48)
RESET_LIFETIME = timedelta(hours=1)
LANGUAGES = ("ko", "en")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class MailRequest:
    """What the request that causes a mail says about its reader: the language they read (ko or
    en; anything else is en) and the origin the API was reached at (e.g. http://127.0.0.1:8000/),
    for a web app served beside the API."""

    language: str
    origin: str

    def mail_language(self) -> str:
        return self.language if self.language in LANGUAGES else "en"


@dataclass(frozen=True, slots=True)
class MailLinks:
    """Where the web app is: links go to `<frontend_url>#/<route>?token=...`. A relative
    frontend_url (the default "/": the app beside the API) is taken from the request's origin,
    so a mail's link is always absolute."""

    frontend_url: str

    def mail(self, purpose: TokenPurpose, member: Member, token: str, request: MailRequest) -> Mail:
        route = _ROUTES[purpose]
        return Mail(
            kind=purpose,
            to=member.email,
            nickname=member.nickname,
            link=f"{urljoin(request.origin, self.frontend_url)}#/{route}?token={token}",
            language=request.mail_language(),
        )


_ROUTES = {
    TokenPurpose.VERIFY_EMAIL: "verify-email",
    TokenPurpose.RESET_PASSWORD: "reset-password",
}


class SendVerificationMail:
    """Mail the member a link that proves they own their email (at sign-up, and again on
    request). Earlier links keep working until they expire or one of them is used."""

    def __init__(self, uow: UnitOfWork, mailer: Mailer, links: MailLinks, clock: Clock) -> None:
        self._uow = uow
        self._mailer = mailer
        self._links = links
        self._clock = clock

    def __call__(self, member_id: MemberId, request: MailRequest) -> None:
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        with self._uow as uow:
            member = uow.members.get(member_id)
            # A placeholder address (a provider gave none) receives no mail.
            if member.email_verified or has_placeholder_email(member):
                return
            uow.account_tokens.add(
                token_hash(token),
                member_id,
                TokenPurpose.VERIFY_EMAIL,
                now,
                now + VERIFICATION_LIFETIME,
            )
            uow.commit()
        self._mailer.send(self._links.mail(TokenPurpose.VERIFY_EMAIL, member, token, request))


@dataclass(frozen=True, slots=True)
class SignUpInput:
    registration: RegisterMemberInput
    request: MailRequest


class SignUp:
    """Someone signs up with a password: the member is stored, then the verification mail goes
    out (a mail that cannot be delivered never undoes the sign-up)."""

    def __init__(self, register: RegisterMember, verification: SendVerificationMail) -> None:
        self._register = register
        self._verification = verification

    def __call__(self, data: SignUpInput) -> Member:
        member = self._register(data.registration)
        self._verification(member.id, data.request)
        return member


class VerifyEmail:
    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, token: str) -> None:
        """Raise TokenInvalid for a token that is unknown, used, expired or not for this."""
        with self._uow as uow:
            member_id = uow.account_tokens.use(
                token_hash(token), TokenPurpose.VERIFY_EMAIL, self._clock.now()
            )
            if member_id is None:
                raise _invalid()
            uow.members.mark_email_verified(member_id)
            uow.commit()


class RequestPasswordReset:
    """Someone forgot their password. An unknown address gets the same steps and the same
    answer, so the answer tells nobody whether an address belongs to a member; the mail goes
    out in the background either way (Mailer.send does not wait for the mail server)."""

    def __init__(self, uow: UnitOfWork, mailer: Mailer, links: MailLinks, clock: Clock) -> None:
        self._uow = uow
        self._mailer = mailer
        self._links = links
        self._clock = clock

    def __call__(self, email: str, request: MailRequest) -> None:
        token = secrets.token_urlsafe(32)
        hashed = token_hash(token)
        now = self._clock.now()
        with self._uow as uow:
            member = uow.members.find_by_email(email)
            if member is not None:
                uow.account_tokens.add(
                    hashed, member.id, TokenPurpose.RESET_PASSWORD, now, now + RESET_LIFETIME
                )
                uow.commit()
        if member is None:
            return
        self._mailer.send(self._links.mail(TokenPurpose.RESET_PASSWORD, member, token, request))


@dataclass(frozen=True, slots=True)
class ResetPasswordInput:
    token: str
    password: str


class ResetPassword:
    """A new password through a mailed reset link. The link proves the member reads mail at
    their address, so the email counts as verified; every refresh token of theirs is revoked,
    so a device someone else holds loses the account."""

    def __init__(self, uow: UnitOfWork, passwords: PasswordPolicy, clock: Clock) -> None:
        self._uow = uow
        self._passwords = passwords
        self._clock = clock

    def __call__(self, data: ResetPasswordInput) -> None:
        """Raise TokenInvalid for a bad token, ValidationFailed (`password`) for a weak password;
        a weak password leaves the token usable."""
        hashed = token_hash(data.token)
        purpose = TokenPurpose.RESET_PASSWORD
        with self._uow as uow:
            holder = uow.account_tokens.holder(hashed, purpose, self._clock.now())
            member = uow.members.get(holder) if holder is not None else None
        if member is None:
            raise _invalid()
        who = NewMember(email=member.email, nickname=member.nickname, born_year=None, job=None)
        if problems := self._passwords.check(data.password, who):
            raise ValidationFailed({"password": problems})
        # Hashing is slow by design: done before the transaction, which it would hold open.
        password_hash = self._passwords.hash(data.password)
        with self._uow as uow:
            if uow.account_tokens.use(hashed, purpose, self._clock.now()) != member.id:
                raise _invalid()
            uow.members.set_password(member.id, password_hash)
            uow.members.mark_email_verified(member.id)
            uow.members.revoke_logins(member.id)
            uow.commit()


def _invalid() -> TokenInvalid:
    return TokenInvalid("This link is not valid (used, expired or mistyped).")
