"""What the use cases need from the outside world. Adapters and fakes subclass these."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self, TypeVar

from application.views import ChatSummary, ChatVersion, ChatView
from domain.chat import Chat, Turn, TurnStatus
from domain.consent import Consent, GivenConsent
from domain.feedback import Rating
from domain.ids import ChatId, MemberId, TurnId
from domain.llm import Completion, CompletionRequest
from domain.member import Member
from domain.moderation import Hidden, ModerationRecord, ReportReason
from domain.search import SearchQuery


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class AnswerStream(Protocol):
    """An answer being generated. Iterating yields its text as it comes; errors surface there."""

    def __aiter__(self) -> AsyncIterator[str]: ...

    def result(self) -> Completion | None:
        """The response assembled from everything received so far (id, model, choices with
        their text and finish_reason, usage); None when nothing came."""
        ...

    async def aclose(self) -> None:
        """Stop generating and release the connection. Idempotent."""
        ...


class ChatModel(Protocol):
    def complete(self, request: CompletionRequest) -> Completion:
        """Send `request` as it is and return the model's response as received.
        Raise ModelTimeout when no answer came in time, ModelBusy when the provider is rate
        limiting or overloaded, ModelUnavailable for any other failure. Never raise anything else
        for a provider fault, and never let a secret reach the error's detail."""
        ...

    def stream(self, request: CompletionRequest) -> AnswerStream:
        """The same request, streamed (`request.stream` is true). Iterating the stream raises the
        errors `complete` does; retries happen only before the first piece of text, and no piece
        takes longer than the configured timeout to come."""
        ...


T = TypeVar("T")


class Blocking(Protocol):
    def __call__(self, work: Callable[[], T]) -> Awaitable[T]:
        """Run `work` (database access, anything that blocks) off the event loop."""
        ...


@dataclass(frozen=True, slots=True)
class NewMember:
    email: str
    nickname: str
    born_year: int | None
    job: str | None
    email_verified: bool = False  # see Member.email_verified


class MemberRepository(Protocol):
    def get(self, member_id: MemberId) -> Member:
        """The member with the consents they gave (`agreed`). Raise MemberNotFound."""
        ...

    def add(self, member: NewMember, password_hash: str | None) -> Member:
        """Store a member with a password already hashed (PasswordPolicy.hash; None: an unusable
        one, for members who log in through a provider). Raise ValidationFailed when the email
        (compared case-insensitively) or the nickname (by `nickname_key`) is taken."""
        ...

    def find_by_email(self, email: str) -> Member | None:
        """The active member with this email (compared case-insensitively), if any."""
        ...

    def nickname_taken(self, nickname: str) -> bool:
        """Whether any member has a nickname with the same `nickname_key`."""
        ...

    def has_password(self, member_id: MemberId) -> bool:
        """Whether the member can log in with a password."""
        ...

    def update_profile(self, member: Member) -> None:
        """Save nickname, born_year and job. Raise ValidationFailed when another member's
        nickname has the same `nickname_key`."""
        ...

    def change_email(self, member_id: MemberId, email: str) -> None:
        """Store a new email, not verified; every unused link mailed to the member before stops
        working (it went to the old address). Raise ValidationFailed (`email`) when another
        member has it (compared case-insensitively)."""
        ...

    def mark_email_verified(self, member_id: MemberId) -> None:
        """Record that the member owns their email."""
        ...

    def password_hash(self, member_id: MemberId) -> str | None:
        """The member's stored password hash; None when they have no usable password (made by a
        provider login). Raise MemberNotFound."""
        ...

    def set_password(self, member_id: MemberId, password_hash: str) -> None:
        """Store a password already hashed (PasswordPolicy.hash)."""
        ...

    def revoke_logins(self, member_id: MemberId) -> None:
        """Revoke every refresh token issued to the member: none of them refreshes again."""
        ...

    def joined_at(self, member_id: MemberId) -> datetime:
        """When the member signed up."""
        ...

    def delete(self, member_id: MemberId) -> None:
        """Remove the member and everything of theirs: chats, usage, provider links, refresh
        tokens."""
        ...

    def deactivate(self, member_id: MemberId) -> None:
        """Turn the member away from now on: no login, and every token they hold is refused
        (each request reads the member). Their chats stay."""
        ...


class ConsentRepository(Protocol):
    def record(self, member_id: MemberId, given: dict[Consent, str], at: datetime) -> None:
        """Store that the member gave each consent, to its version, at `at`. MemberRepository.get
        then shows the latest version of each in `Member.agreed`."""
        ...

    def of(self, member_id: MemberId) -> list[GivenConsent]:
        """Every consent the member gave, oldest first."""
        ...


class PasswordPolicy(Protocol):
    def check(self, password: str, member: NewMember) -> list[str]:
        """Why `password` is not good enough for `member`; empty when it is."""
        ...

    def hash(self, password: str) -> str:
        """`password` as stored: salted and slow to compute on purpose (a CPU-bound fraction of a
        second), so never called with a transaction open."""
        ...

    def matches(self, password: str, password_hash: str) -> bool:
        """Whether `password` is the one `password_hash` was made from; as slow as `hash`."""
        ...


@dataclass(frozen=True, slots=True)
class Reservation:
    id: str
    member_id: MemberId
    day: date


@dataclass(frozen=True, slots=True)
class Charge:
    """One request to take from `member_id`'s allowance of `limit` for `day`."""

    member_id: MemberId
    day: date
    limit: int


class QuotaLedger(Protocol):
    def reserve(self, member: MemberId, day: date, limit: int) -> Reservation | None:
        """Take one request from the member's allowance for `day`, atomically; None when none is
        left. Exact under concurrent callers in any number of processes."""
        ...

    def refund(self, reservation: Reservation) -> None:
        """Give the request back to the day it was taken from. Idempotent."""
        ...

    def used(self, member: MemberId, day: date) -> int:
        """Requests taken and not refunded on `day`."""
        ...

    def history(self, member: MemberId) -> list[tuple[date, int]]:
        """Every day the member used their allowance, oldest first, with the requests taken."""
        ...

    def remember_leaver(self, member: MemberId, email: str, day: date) -> None:
        """Before the member is deleted: keep what they used on `day` under a keyed hash of
        `email` (nothing else of theirs), and forget what was kept for earlier days."""
        ...

    def carry_over(self, member: MemberId, email: str, day: date) -> None:
        """A new member: start their usage of `day` where a member who left with the same
        `email` on that day stopped."""
        ...


class ChatRepository(Protocol):
    def start(
        self, chat: Chat, turn: Turn, paid_by: Reservation, lease_until: datetime
    ) -> tuple[ChatId, TurnId]:
        """Store a new chat with its intake prompts and its first, pending turn, all or nothing.
        `paid_by` is the request the turn took from the quota; a turn still pending after
        `lease_until` lost the process answering it."""
        ...

    def start_charged(
        self, chat: Chat, turn: Turn, charge: Charge, lease_until: datetime
    ) -> tuple[ChatId, TurnId, Reservation] | None:
        """`start`, taking the request that pays for the turn as QuotaLedger.reserve would, in
        the same atomic step: either the request is taken and everything is stored, or nothing
        is (None: the allowance is used up)."""
        ...

    def get(self, chat_id: ChatId) -> Chat:
        """The chat with its history. Raise ChatNotFound."""
        ...

    def owner_of(self, chat_id: ChatId) -> MemberId:
        """Who owns the chat; locks it until the unit of work ends. Raise ChatNotFound."""
        ...

    def add_turn(
        self, chat_id: ChatId, turn: Turn, paid_by: Reservation, lease_until: datetime
    ) -> tuple[TurnId, int]:
        """Store a new pending turn at the chat's next index, returned with its id (concurrent
        turns each get their own), and bump the chat's turn count. Raise ChatNotFound."""
        ...

    def save_outcome(self, turn: Turn) -> bool:
        """Store the turn's status, response and time, only if the stored turn is still
        pending (a compare-and-set: a turn a lease sweep failed stays failed). False when it
        was not stored: the turn is gone (its chat was deleted meanwhile) or no longer
        pending."""
        ...

    def extend_leases(self, turn_ids: list[TurnId], until: datetime) -> None:
        """Move the lease of those of `turn_ids` still pending to `until`: their answers are
        still being generated."""
        ...

    def fail_interrupted(self, now: datetime, code: str) -> list[Reservation]:
        """Mark every pending turn whose lease ran out before `now` failed with `code`, each
        exactly once however many callers race, and return the reservations that paid for
        them."""
        ...

    def turn_status(self, chat_id: ChatId, turn_id: TurnId) -> TurnStatus:
        """Raise ChatNotFound when the chat has no such turn."""
        ...

    def request_stop(self, turn_id: TurnId) -> None:
        """Note that the owner wants the answer stopped, for whichever process generates it."""
        ...

    def stop_requested(self, turn_ids: list[TurnId]) -> list[TurnId]:
        """Those of `turn_ids` whose owner asked to stop them."""
        ...

    def save_progress(self, texts: dict[TurnId, str]) -> None:
        """Keep each pending turn's answer so far, for readers in other processes; a turn no
        longer pending is left as it is."""
        ...

    def delete(self, chat_id: ChatId) -> None:
        """Remove the chat and everything in it; quota already taken stays taken."""
        ...

    def set_anonymous(self, chat_id: ChatId, anonymous: bool) -> None:
        """Show the chat with or without its author."""
        ...

    def moderation_of(self, chat_id: ChatId) -> tuple[MemberId, Hidden | None]:
        """The chat's owner and whether (and why) it is hidden; locks the chat until the unit
        of work ends, so concurrent reports and staff actions on one chat take turns. Raise
        ChatNotFound."""
        ...

    def hide(self, chat_id: ChatId, hidden: Hidden) -> None:
        """Take the chat out of public view, as `hidden` says (replacing an earlier reason)."""
        ...

    def unhide(self, chat_id: ChatId) -> None:
        """Show the chat again."""
        ...


@dataclass(frozen=True, slots=True)
class RatingTarget:
    """What deciding on a rating of a turn's answer needs to know about the turn and its chat."""

    owner_id: MemberId
    hidden: bool
    status: TurnStatus
    has_answer_text: bool


@dataclass(frozen=True, slots=True)
class GivenRating:
    chat_id: ChatId
    turn_id: TurnId
    rating: Rating
    rated_at: datetime


class RatingRepository(Protocol):
    def target(self, chat_id: ChatId, turn_id: TurnId) -> RatingTarget:
        """The turn and its chat as a rating sees them. Raise ChatNotFound when the chat has no
        such turn."""
        ...

    def rate(self, turn_id: TurnId, member_id: MemberId, rating: Rating, at: datetime) -> None:
        """Store the member's rating of the turn's answer, replacing the one they gave before:
        one per member per answer, however many callers race."""
        ...

    def withdraw(self, turn_id: TurnId, member_id: MemberId) -> None:
        """Remove the member's rating of the turn's answer, if there is one."""
        ...

    def of_member(self, member_id: MemberId) -> list[GivenRating]:
        """Every rating the member gives now, oldest first (for their export)."""
        ...


class ReportRepository(Protocol):
    def add(
        self, chat_id: ChatId, member_id: MemberId, reason: ReportReason, detail: str, at: datetime
    ) -> None:
        """Store an open report. Raise AlreadyReported when the member reported the chat
        before (open or closed)."""
        ...

    def open_reporters(self, chat_id: ChatId) -> int:
        """How many distinct members with a verified email have reports open on the chat."""
        ...

    def close_open(self, chat_id: ChatId, at: datetime) -> int:
        """Close the chat's open reports as reviewed; how many there were."""
        ...


class ModerationLog(Protocol):
    def record(self, entry: ModerationRecord) -> None:
        """Keep the entry for staff to read; kept when its chat or member is deleted."""
        ...


@dataclass(frozen=True, slots=True)
class ExternalIdentity:
    """Who a login provider says the person is. `email` is None unless the provider gave one;
    `email_verified` is True only when the provider says it verified that address."""

    provider: str
    account_id: str
    nickname: str | None
    email: str | None
    email_verified: bool


class IdentityProvider(Protocol):
    """One OAuth2 login provider (authorization-code flow with PKCE)."""

    name: str

    def authorization_url(self, *, state: str, code_verifier: str, redirect_uri: str) -> str:
        """Where to send the browser to ask the person for consent."""
        ...

    def fetch_identity(
        self, *, code: str, code_verifier: str, redirect_uri: str
    ) -> ExternalIdentity:
        """Trade the code for a token and read the person's account. Raise ProviderFailed for
        anything the provider refuses or fails at; never let a secret reach its detail."""
        ...


class SocialAccountRepository(Protocol):
    def member_for(self, provider: str, account_id: str) -> MemberId | None:
        """The member linked to this provider account, if any."""
        ...

    def link(self, member_id: MemberId, provider: str, account_id: str) -> None:
        """Link the account to the member. Raise ValidationFailed when the account is linked to
        someone already or the member has another account of this provider linked."""
        ...

    def providers_of(self, member_id: MemberId) -> list[str]:
        """The providers linked to the member, sorted."""
        ...

    def unlink(self, member_id: MemberId, provider: str) -> None:
        """Remove the member's link to `provider` (nothing when there is none)."""
        ...

    def account_of(self, member_id: MemberId, provider: str) -> str | None:
        """The id of the member's account at `provider`, if one is linked."""
        ...

    def unlink_account(self, provider: str, account_id: str) -> MemberId | None:
        """Remove the link of this provider account, whoever holds it; the member it was
        linked to, or None when it was linked to nobody."""
        ...


class ProviderUnlinker(Protocol):
    """A login provider's own record that the person connected this app (Kakao keeps one)."""

    def unlink(self, account_id: str) -> None:
        """Tell the provider to disconnect the app from the account. Raise ProviderFailed when
        it refuses or cannot be reached; no secret reaches the error or a log line."""
        ...


class LoginCodeRepository(Protocol):
    def add(self, code_hash: str, member_id: MemberId, expires_at: datetime) -> None:
        """Store a one-time login code, by its hash only."""
        ...

    def take(self, code_hash: str, now: datetime) -> MemberId | None:
        """Delete the code and return its member when it existed and had not expired by `now`;
        None otherwise. Of concurrent callers with the same code, at most one gets the member."""
        ...


class OAuthStateRepository(Protocol):
    def spend(self, state_hash: str, expires_at: datetime, now: datetime) -> bool:
        """Record a login's state (by its hash) as used until `expires_at`. True for exactly one
        caller per state, however many race in any number of processes; False when it was
        recorded already. Records that ran out by `now` may be forgotten."""
        ...


@dataclass(frozen=True, slots=True)
class AttemptWindow:
    """The attempts counted under one key in its current window, and when the window ends."""

    count: int
    ends_at: datetime


class AttemptCounter(Protocol):
    def count(self, key: str, now: datetime, period: timedelta) -> AttemptWindow:
        """Count one attempt under `key` and return its window with this attempt counted. A
        window opens at the first attempt after the last one ended and lasts `period`. Atomic:
        of any number of concurrent callers, in any number of processes and servers, each gets
        a count of its own, with no transaction left open."""
        ...


class TokenPurpose(StrEnum):
    """What a mailed link does; also the kind of the mail that carries it."""

    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a name, not a password


class AccountTokenRepository(Protocol):
    """One-time tokens mailed to members, stored by their SHA-256 only."""

    def add(
        self,
        token_hash: str,
        member_id: MemberId,
        purpose: TokenPurpose,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        """Store a new token, made at `now`, usable until `expires_at`."""
        ...

    def holder(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> MemberId | None:
        """The member of an unused token for `purpose` that has not expired by `now`; the token
        stays unused."""
        ...

    def use(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> MemberId | None:
        """Mark the token used and return its member when it was unused, for `purpose` and not
        expired by `now`; None otherwise. Of concurrent callers with one token, at most one gets
        the member. The member's other unused tokens for `purpose` are used up with it."""
        ...


@dataclass(frozen=True, slots=True)
class Mail:
    """A mail to a member carrying one link to the web app, in `language` (ko or en)."""

    kind: TokenPurpose
    to: str
    nickname: str
    link: str
    language: str


class Mailer(Protocol):
    def send(self, mail: Mail) -> None:
        """Hand the mail over for delivery and return without waiting for it. Never raises for
        a delivery that fails: that is logged, without the link (it holds a token)."""
        ...


class UnitOfWork(Protocol):
    """One short transaction. Changes are kept only if commit() is called before the block ends.

    Outside a `with` block each repository method is atomic on its own and takes effect at once:
    the hot path of a chat request makes single writes that need no transaction around them."""

    members: MemberRepository
    chats: ChatRepository
    quota: QuotaLedger
    social: SocialAccountRepository
    login_codes: LoginCodeRepository
    oauth_states: OAuthStateRepository
    account_tokens: AccountTokenRepository
    reports: ReportRepository
    moderation_log: ModerationLog
    consents: ConsentRepository
    ratings: RatingRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...


class ChatQueries(Protocol):
    """The read side: public-safe views built straight from storage."""

    def list_chats(
        self, *, owner: MemberId | None, before: ChatId | None, limit: int
    ) -> list[ChatSummary]:
        """Chats newest first (by id), only those with an id below `before` when given, only
        `owner`'s when given."""
        ...

    def chat(self, chat_id: ChatId, rater: MemberId | None = None) -> ChatView:
        """The whole chat, each turn with `rater`'s own rating of its answer (`my_rating`; None
        for every turn when `rater` is None). Raise ChatNotFound."""
        ...

    def ratings(self, chat_id: ChatId, member: MemberId) -> dict[TurnId, Rating]:
        """The member's ratings of the chat's answers, by turn: the `my_rating`s `chat` gives."""
        ...

    def chat_version(self, chat_id: ChatId) -> ChatVersion:
        """The chat's version, equal to `chat(chat_id).version()`, in one cheap read. Raise
        ChatNotFound."""
        ...

    def chat_summary(self, chat_id: ChatId) -> ChatSummary:
        """The chat as a list item (as `list_chats` gives it), in one read, whatever the
        number of its turns. Raise ChatNotFound."""
        ...

    def answer_so_far(self, chat_id: ChatId, turn_id: TurnId) -> tuple[TurnStatus, str]:
        """The turn's status and, while it is pending, the text its process last saved
        (ChatRepository.save_progress). Raise ChatNotFound when the chat has no such turn."""
        ...


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A request taken from a member's allowance, and what became of it: given back or not, and
    the turn it paid for with its chat (None: the chat was deleted since, or no turn was
    stored)."""

    at: datetime
    day: date
    refunded: bool
    chat_id: ChatId | None = None
    chat_title: str | None = None
    turn_status: TurnStatus | None = None


class UsageQueries(Protocol):
    """The read side of the quota ledger."""

    def entries(self, member: MemberId, first: date, last: date) -> list[LedgerEntry]:
        """The member's requests taken on the days from `first` to `last` (inclusive), newest
        first, in a fixed number of queries."""
        ...

    def used_by_day(self, member: MemberId, first: date, last: date) -> dict[date, int]:
        """What each of those days counts against the member's allowance (QuotaLedger.used), for
        the days that count any."""
        ...


@dataclass(frozen=True, slots=True)
class AnswerNote:
    """News of one answer: `text` is the answer's text from character `offset` on; `final`
    says the turn's outcome is stored (read it there). A note that is `wanted` comes the other
    way: a follower somewhere has the text up to `offset` and wants the rest."""

    turn_id: TurnId
    offset: int = 0
    text: str = ""
    final: bool = False
    wanted: bool = False


class AnswerFeed(Protocol):
    """Answers' progress, from the process generating each to every process (and client)
    following it. Delivery is best effort: a note can be lost (the broker down or restarting),
    so a follower also reads the stored progress now and then."""

    def publish(self, note: AnswerNote) -> None:
        """Send the note soon. Never waits and never raises: the answer's own stream must not
        depend on the broker. Must be called on the event loop."""
        ...

    def subscribe(
        self, turn_id: TurnId
    ) -> AbstractAsyncContextManager["asyncio.Queue[AnswerNote]"]:
        """A queue of the turn's notes published from the moment the context is entered on
        (as far as the broker is up); must be entered on the event loop."""
        ...

    def on_wanted(self, callback: "Callable[[AnswerNote], None]") -> None:
        """Call `callback` on the event loop with every `wanted` note published anywhere from
        now on (as far as the broker is up): how a generating process learns that someone
        follows one of its answers. Must be called on the event loop."""
        ...


@dataclass(frozen=True, slots=True)
class SearchPosition:
    """Where a page of search results ends: the relevance tier (0: every word of the query is
    in the title or the intake answers, 1: elsewhere in the chat) and the chat id within it."""

    tier: int
    chat_id: ChatId


@dataclass(frozen=True, slots=True)
class SearchHit:
    chat: ChatSummary
    position: SearchPosition


class ChatSearch(Protocol):
    """The archive's search index, which follows every write of a chat."""

    def search(
        self,
        query: SearchQuery,
        *,
        owner: MemberId | None,
        after: SearchPosition | None,
        limit: int,
    ) -> list[SearchHit]:
        """Up to `limit` chats matching `query` (domain.search: every word a substring of the
        chat's normalized text), by tier, then newest first, only those past `after` when
        given. Only `owner`'s when given (hidden ones included); otherwise no hidden chat. A
        constant number of queries."""
        ...

    def sources(
        self, chat_ids: list[ChatId], heads_only: Collection[ChatId] = ()
    ) -> dict[ChatId, list[str]]:
        """Each chat's searchable texts as written: title, intake answers, then each message
        and answer in order. Of those in `heads_only` the title and intake answers are enough
        (an adapter may read the rest as well). One query."""
        ...
