"""One in-memory fake per port in application/ports.py, and a harness that wires them to the use
cases. Each fake subclasses its Protocol explicitly, so mypy flags a missing or mistyped method.

The fakes keep their own copies of what is stored: a use case that mutates a domain object after
saving it does not change what the fake holds, exactly as with a database.
"""

import asyncio
import copy
import itertools
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Any, Self, TypeAlias, TypeVar
from zoneinfo import ZoneInfo

from application.account_links import (
    MailLinks,
    RequestPasswordReset,
    ResetPassword,
    SendVerificationMail,
    SignUp,
    VerifyEmail,
)
from application.asking import ChatSettings
from application.chats import DeleteChat, GetChat, ListChats
from application.errors import (
    AlreadyReported,
    ChatNotFound,
    MemberNotFound,
    ProviderFailed,
    ValidationFailed,
)
from application.feedback import RateAnswer, WithdrawRating
from application.members import GetProfile, RegisterMember, UpdateProfile
from application.ports import (
    AccountTokenRepository,
    AnswerStream,
    AttemptCounter,
    AttemptWindow,
    Blocking,
    Charge,
    ChatModel,
    ChatQueries,
    ChatRepository,
    Clock,
    ConsentRepository,
    ExternalIdentity,
    GivenRating,
    IdentityProvider,
    LedgerEntry,
    LoginCodeRepository,
    Mail,
    Mailer,
    MemberRepository,
    ModerationLog,
    NewMember,
    OAuthStateRepository,
    PasswordPolicy,
    ProviderUnlinker,
    QuotaLedger,
    RatingRepository,
    RatingTarget,
    ReportRepository,
    Reservation,
    SocialAccountRepository,
    TokenPurpose,
    UnitOfWork,
    UsageQueries,
)
from application.send_message import SendMessage
from application.start_chat_session import StartChatSession
from application.streaming import LiveAnswers, StopAnswer, StreamAnswer
from application.usage import ListUsage
from application.views import ChatSummary, ChatVersion, ChatView, Journey, TurnView
from domain.chat import Chat, Guide, PastTurn, Turn, TurnStatus
from domain.consent import Consent, GivenConsent, PolicyVersions
from domain.feedback import Rating
from domain.ids import ChatId, MemberId, TurnId
from domain.llm import Choice, Completion, CompletionRequest, Sampling, Usage
from domain.member import Member, nickname_key
from domain.moderation import Hidden, ModerationRecord, ReportReason
from domain.quota import DailyQuotaPolicy

T = TypeVar("T")
SEOUL = ZoneInfo("Asia/Seoul")
# Noon in Seoul: far from the day boundary unless a test moves the clock on purpose.
NOON_IN_SEOUL = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)


class FakeClock(Clock):
    def __init__(self, at: datetime = NOON_IN_SEOUL) -> None:
        self._at = self._aware(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = self._aware(at)

    def advance(self, by: timedelta) -> None:
        self._at += by

    @staticmethod
    def _aware(at: datetime) -> datetime:
        if at.tzinfo is None:
            raise ValueError("FakeClock only tells timezone-aware time.")
        return at


def completion(text: str, *, model: str = "fake-model", number: int = 1) -> Completion:
    """A response as a provider would send it, with `text` as the answer."""
    return Completion(
        id=f"fake-{number}",
        created=1_767_225_600 + number,
        model=model,
        choices=(Choice(index=0, role="assistant", content=text, finish_reason="stop"),),
        usage=Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15),
    )


Outcome: TypeAlias = "str | Completion | BaseException | FakeStream"


class FakeChatModel(ChatModel):
    """Answers from a script: a str becomes a completion with that text, a Completion is returned
    as is, an exception is raised. Past the end of the script it answers `default`. Every request
    it receives is kept in `requests`; `during` runs while the model "thinks"."""

    def __init__(
        self,
        *script: Outcome,
        default: str = "A fake answer.",
        during: Callable[[CompletionRequest], None] | None = None,
    ) -> None:
        self._script: deque[Outcome] = deque(script)
        self._default = default
        self.during = during
        self.requests: list[CompletionRequest] = []

    def then(self, *outcomes: Outcome) -> None:
        self._script.extend(outcomes)

    def complete(self, request: CompletionRequest) -> Completion:
        self.requests.append(request)
        if self.during is not None:
            self.during(request)
        outcome = self._script.popleft() if self._script else self._default
        if isinstance(outcome, BaseException):
            raise outcome
        if isinstance(outcome, Completion):
            return outcome
        return completion(outcome, model=request.model, number=len(self.requests))

    def stream(self, request: CompletionRequest) -> AnswerStream:
        """The scripted answer a word at a time. A FakeStream in the script is used as it is."""
        self.requests.append(request)
        outcome = self._script.popleft() if self._script else self._default
        if isinstance(outcome, FakeStream):
            return outcome
        if isinstance(outcome, BaseException):
            return FakeStream([], fail_with=outcome)
        whole = (
            outcome
            if isinstance(outcome, Completion)
            else completion(outcome, model=request.model, number=len(self.requests))
        )
        return FakeStream(whole.text.split(" "), whole=whole)


class FakeStream(AnswerStream):
    """Yields `pieces` (joined by spaces), waiting on `gate` before each when given, then raises
    `fail_with` when given. `result()` is what was yielded so far."""

    def __init__(
        self,
        pieces: list[str],
        *,
        whole: Completion | None = None,
        fail_with: BaseException | None = None,
        gate: "asyncio.Event | None" = None,
    ) -> None:
        self.pieces = pieces
        self.whole = whole
        self.fail_with = fail_with
        self.gate = gate
        self.sent: list[str] = []
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[str]:  # type: ignore[override]
        for n, piece in enumerate(self.pieces):
            if self.gate is not None:
                await self.gate.wait()
                self.gate.clear()
            text = piece if n == 0 else " " + piece
            self.sent.append(text)
            yield text
        if self.fail_with is not None:
            raise self.fail_with

    def result(self) -> Completion | None:
        if not self.sent:
            return None
        text = "".join(self.sent)
        if self.whole is not None and text == self.whole.text:
            return self.whole
        return Completion(
            id="chatcmpl-partial",
            created=1,
            model="fake-model",
            choices=(Choice(0, "assistant", text, None),),
            usage=None,
        )

    async def aclose(self) -> None:
        self.closed = True


class FakeBlocking(Blocking):
    """Runs the work right away, on the event loop: the fakes never block."""

    async def __call__(self, work: Callable[[], T]) -> T:  # type: ignore[override]
        return work()


class _Snapshots:
    """State a FakeUnitOfWork can roll back: everything in `_state`."""

    _state: dict[str, Any]

    def snapshot(self) -> dict[str, Any]:
        return copy.deepcopy(self._state)

    def restore(self, state: dict[str, Any]) -> None:
        self._state = state


class FakeMemberRepository(_Snapshots, MemberRepository):
    def __init__(self) -> None:
        self._state = {"members": {}, "passwords": {}}
        # Like a database sequence: ids are never reused, even after a rollback.
        self._ids = itertools.count(1)
        # The unit of work's, for change_email (outside `_state`: not copied by snapshots).
        self.account_tokens: FakeAccountTokenRepository | None = None

    @property
    def _members(self) -> dict[MemberId, Member]:
        members: dict[MemberId, Member] = self._state["members"]
        return members

    def put(self, member: Member) -> Member:
        """Seed a member as staff would (any daily_limit), bypassing the uniqueness checks."""
        self._members[member.id] = member
        return member

    def new(self, nickname: str = "mina", **fields: Any) -> Member:
        """Seed a member with a fresh id, by default one who may chat: their email verified,
        the default texts (PolicyVersions()) agreed to. Pass `email_verified=False` or
        `agreed=()` for one who may not."""
        member_id = MemberId(next(self._ids))
        email = fields.pop("email", f"{nickname.lower()}@example.com")
        fields.setdefault("email_verified", True)
        fields.setdefault("agreed", tuple(PolicyVersions().current().items()))
        return self.put(Member(id=member_id, email=email, nickname=nickname, **fields))

    def all(self) -> list[Member]:
        return list(self._members.values())

    def password_of(self, member_id: MemberId) -> str | None:
        password: str | None = self._state["passwords"].get(member_id)
        return password

    def get(self, member_id: MemberId) -> Member:
        try:
            return self._members[member_id]
        except KeyError:
            raise MemberNotFound("No such member.") from None

    def find_by_email(self, email: str) -> Member | None:
        return next(
            (m for m in self._members.values() if m.email.lower() == email.strip().lower()), None
        )

    def nickname_taken(self, nickname: str) -> bool:
        return self._nickname_taken(nickname, by_other_than=None)

    def has_password(self, member_id: MemberId) -> bool:
        return self._state["passwords"].get(member_id) is not None

    def add(self, member: NewMember, password_hash: str | None) -> Member:
        taken: dict[str, list[str]] = {}
        if any(m.email.lower() == member.email.lower() for m in self._members.values()):
            taken["email"] = ["A member with this email already exists."]
        if self._nickname_taken(member.nickname, by_other_than=None):
            taken["nickname"] = ["This nickname is taken."]
        if taken:
            raise ValidationFailed(taken)
        stored = Member(
            id=MemberId(next(self._ids)),
            email=member.email,
            nickname=member.nickname,
            born_year=member.born_year,
            job=member.job,
            email_verified=member.email_verified,
        )
        self._state["passwords"][stored.id] = password_hash
        return self.put(stored)

    def update_profile(self, member: Member) -> None:
        if self._nickname_taken(member.nickname, by_other_than=member.id):
            raise ValidationFailed({"nickname": ["This nickname is taken."]})
        current = self.get(member.id)
        self.put(
            replace(current, nickname=member.nickname, born_year=member.born_year, job=member.job)
        )

    def change_email(self, member_id: MemberId, email: str) -> None:
        if any(m.email.lower() == email.lower() and m.id != member_id for m in self.all()):
            raise ValidationFailed({"email": ["A member with this email already exists."]})
        self.put(replace(self.get(member_id), email=email.lower(), email_verified=False))
        if self.account_tokens is not None:
            self.account_tokens.drop_unused(member_id)

    def mark_email_verified(self, member_id: MemberId) -> None:
        self.put(replace(self.get(member_id), email_verified=True))

    def password_hash(self, member_id: MemberId) -> str | None:
        self.get(member_id)
        return self.password_of(member_id)

    def set_password(self, member_id: MemberId, password_hash: str) -> None:
        self._state["passwords"][member_id] = password_hash

    def revoke_logins(self, member_id: MemberId) -> None:
        revoked: dict[MemberId, int] = self._state.setdefault("revoked", {})
        revoked[member_id] = revoked.get(member_id, 0) + 1

    def deactivate(self, member_id: MemberId) -> None:
        # Like the active-member read: a deactivated member is no longer found.
        self._state.setdefault("deactivated", {})[member_id] = self._members.pop(member_id)

    def deactivated(self) -> list[MemberId]:
        return list(self._state.get("deactivated", {}))

    def joined_at(self, member_id: MemberId) -> datetime:
        self.get(member_id)
        return NOON_IN_SEOUL

    def delete(self, member_id: MemberId) -> None:
        del self._members[member_id]
        self._state["passwords"].pop(member_id, None)

    def _nickname_taken(self, nickname: str, by_other_than: MemberId | None) -> bool:
        return any(
            nickname_key(m.nickname) == nickname_key(nickname) and m.id != by_other_than
            for m in self._members.values()
        )


class FakePasswordPolicy(PasswordPolicy):
    """Too short, or containing the nickname, is weak; messages phrased like Django's. A hash is
    `hashed:` and the password; `hashed_in_transaction` records, for each hash, whether `uow`
    (when given) had a transaction open."""

    def __init__(self, min_length: int = 10, uow: "FakeUnitOfWork | None" = None) -> None:
        self.min_length = min_length
        self.checked: list[tuple[str, NewMember]] = []
        self.uow = uow
        self.hashed_in_transaction: list[bool] = []

    def hash(self, password: str) -> str:
        self.hashed_in_transaction.append(self.uow is not None and self.uow.in_transaction)
        return f"hashed:{password}"

    def matches(self, password: str, password_hash: str) -> bool:
        return password_hash == f"hashed:{password}"

    def check(self, password: str, member: NewMember) -> list[str]:
        self.checked.append((password, member))
        problems = []
        if len(password) < self.min_length:
            problems.append(
                "This password is too short. "
                f"It must contain at least {self.min_length} characters."
            )
        if member.nickname and member.nickname.lower() in password.lower():
            problems.append("The password is too similar to the nickname.")
        return problems


class FakeAttemptCounter(AttemptCounter):
    """The DjangoAttemptCounter's contract in memory: a window per key that opens at its first
    attempt and lasts `period`."""

    def __init__(self) -> None:
        self.windows: dict[str, AttemptWindow] = {}

    def count(self, key: str, now: datetime, period: timedelta) -> AttemptWindow:
        window = self.windows.get(key)
        if window is None or window.ends_at <= now:
            window = AttemptWindow(count=1, ends_at=now + period)
        else:
            window = replace(window, count=window.count + 1)
        self.windows[key] = window
        return window


class FakeQuotaLedger(_Snapshots, QuotaLedger):
    """The DjangoQuotaLedger's contract in memory: a counter per member and day that reserve()
    takes from only while it is below the limit, and that refund() gives back to once."""

    def __init__(self) -> None:
        self._state = {"used": {}, "refunded": set(), "taken": {}, "taken_at": {}}
        self._ids = itertools.count(1)
        # When reserve() takes a request (the database's clock in DjangoQuotaLedger).
        self.clock: Clock | None = None

    def reserve(self, member: MemberId, day: date, limit: int) -> Reservation | None:
        used: dict[tuple[MemberId, date], int] = self._state["used"]
        if used.get((member, day), 0) >= limit:
            return None
        used[(member, day)] = used.get((member, day), 0) + 1
        reservation = Reservation(id=f"r{next(self._ids)}", member_id=member, day=day)
        self._state["taken"][reservation.id] = reservation
        self._state["taken_at"][reservation.id] = (
            self.clock.now() if self.clock is not None else NOON_IN_SEOUL
        )
        return reservation

    def taken(self) -> list[tuple[Reservation, datetime, bool]]:
        """Every request taken, with when and whether it was given back (what tests look at)."""
        return [
            (r, self._state["taken_at"][r.id], r.id in self._state["refunded"])
            for r in self._state["taken"].values()
        ]

    def refund(self, reservation: Reservation) -> None:
        refunded: set[str] = self._state["refunded"]
        if reservation.id not in self._state["taken"] or reservation.id in refunded:
            return
        refunded.add(reservation.id)
        key = (reservation.member_id, reservation.day)
        used: dict[tuple[MemberId, date], int] = self._state["used"]
        used[key] = max(0, used.get(key, 0) - 1)

    def used(self, member: MemberId, day: date) -> int:
        return int(self._state["used"].get((member, day), 0))

    def history(self, member: MemberId) -> list[tuple[date, int]]:
        used: dict[tuple[MemberId, date], int] = self._state["used"]
        return sorted((day, n) for (who, day), n in used.items() if who == member)

    def remember_leaver(self, member: MemberId, email: str, day: date) -> None:
        left = {k: n for k, n in self._state.get("left", {}).items() if k[1] >= day}
        left[(email.strip().lower(), day)] = self.used(member, day)
        self._state["left"] = left

    def carry_over(self, member: MemberId, email: str, day: date) -> None:
        left = self._state.get("left", {}).get((email.strip().lower(), day), 0)
        if left:
            self._state["used"][(member, day)] = left


@dataclass
class _StoredChat:
    chat: Chat  # history left empty: it is rebuilt from the turns
    turns: dict[TurnId, Turn] = field(default_factory=dict)


class FakeChatRepository(_Snapshots, ChatRepository):
    def __init__(self) -> None:
        self._state = {"chats": {}}
        # Which reservation paid for each turn, and its lease: what tests look at.
        self.paid_by: dict[TurnId, Reservation] = {}
        self.leases: dict[TurnId, datetime] = {}
        self._chat_ids = itertools.count(1)
        self._turn_ids = itertools.count(1)
        # The allowance start_charged takes from: the unit of work's ledger.
        self.ledger: FakeQuotaLedger | None = None

    @property
    def _chats(self) -> dict[ChatId, _StoredChat]:
        chats: dict[ChatId, _StoredChat] = self._state["chats"]
        return chats

    # What tests look at.
    def ids(self) -> list[ChatId]:
        return sorted(self._chats)

    def stored(self, chat_id: ChatId) -> Chat:
        return copy.deepcopy(self._stored(chat_id).chat)

    def turns(self, chat_id: ChatId) -> list[Turn]:
        turns = self._stored(chat_id).turns.values()
        return copy.deepcopy(sorted(turns, key=lambda t: t.index))

    def all_turns(self) -> list[Turn]:
        return [turn for chat_id in self.ids() for turn in self.turns(chat_id)]

    # The port.
    def start(
        self, chat: Chat, turn: Turn, paid_by: Reservation, lease_until: datetime
    ) -> tuple[ChatId, TurnId]:
        chat_id = ChatId(next(self._chat_ids))
        stored = copy.deepcopy(chat)
        stored.id, stored.history, stored.turn_count = chat_id, [], 0
        self._chats[chat_id] = _StoredChat(stored)
        turn_id, _ = self.add_turn(chat_id, turn, paid_by, lease_until)
        return chat_id, turn_id

    def start_charged(
        self, chat: Chat, turn: Turn, charge: Charge, lease_until: datetime
    ) -> tuple[ChatId, TurnId, Reservation] | None:
        assert self.ledger is not None, "a FakeUnitOfWork gives its chats the ledger"
        reservation = self.ledger.reserve(charge.member_id, charge.day, charge.limit)
        if reservation is None:
            return None
        chat_id, turn_id = self.start(chat, turn, reservation, lease_until)
        return chat_id, turn_id, reservation

    def get(self, chat_id: ChatId) -> Chat:
        stored = self._stored(chat_id)
        chat = copy.deepcopy(stored.chat)
        chat.history = [
            PastTurn(t.index, t.content, t.answer if t.status is TurnStatus.COMPLETED else None)
            for t in sorted(stored.turns.values(), key=lambda t: t.index)
        ]
        return chat

    def owner_of(self, chat_id: ChatId) -> MemberId:
        return self._stored(chat_id).chat.owner_id

    def add_turn(
        self, chat_id: ChatId, turn: Turn, paid_by: Reservation, lease_until: datetime
    ) -> tuple[TurnId, int]:
        stored = self._stored(chat_id)
        turn_id = TurnId(next(self._turn_ids))
        kept = copy.deepcopy(turn)
        kept.id, kept.index = turn_id, stored.chat.turn_count
        stored.turns[turn_id] = kept
        self.paid_by[turn_id] = paid_by
        self.leases[turn_id] = lease_until
        stored.chat.turn_count += 1
        stored.chat.updated_at = turn.created_at
        return turn_id, kept.index

    def save_outcome(self, turn: Turn) -> bool:
        for stored in self._chats.values():
            if turn.id in stored.turns:
                kept = stored.turns[turn.id]
                if kept.status is not TurnStatus.PENDING:
                    return False  # a compare-and-set: a swept turn stays swept
                kept.status = turn.status
                kept.response = copy.deepcopy(turn.response)
                kept.answered_at = turn.answered_at
                kept.error_code = turn.error_code
                return True
        return False

    def extend_leases(self, turn_ids: list[TurnId], until: datetime) -> None:
        for turn in self._all_turns():
            if turn.id in turn_ids and turn.status is TurnStatus.PENDING:
                self.leases[turn.id] = until

    def fail_interrupted(self, now: datetime, code: str) -> list[Reservation]:
        paid = []
        for turn in self._all_turns():
            assert turn.id is not None
            if turn.status is TurnStatus.PENDING and self.leases[turn.id] < now:
                turn.fail(code, now)
                paid.append(self.paid_by[turn.id])
        return paid

    def _all_turns(self) -> list[Turn]:
        return [turn for stored in self._chats.values() for turn in stored.turns.values()]

    def turn_status(self, chat_id: ChatId, turn_id: TurnId) -> TurnStatus:
        turn = self._stored(chat_id).turns.get(turn_id)
        if turn is None:
            raise ChatNotFound("No such turn in this chat.")
        return turn.status

    def request_stop(self, turn_id: TurnId) -> None:
        self._state.setdefault("stops", set()).add(turn_id)

    def stop_requested(self, turn_ids: list[TurnId]) -> list[TurnId]:
        stops = self._state.get("stops", set())
        return [t for t in turn_ids if t in stops]

    def save_progress(self, texts: dict[TurnId, str]) -> None:
        self._state.setdefault("progress", {}).update(texts)

    def delete(self, chat_id: ChatId) -> None:
        self._chats.pop(chat_id, None)

    def set_anonymous(self, chat_id: ChatId, anonymous: bool) -> None:
        self._stored(chat_id).chat.anonymous = anonymous

    def hidden(self, chat_id: ChatId) -> Hidden | None:
        found: Hidden | None = self._state.setdefault("hidden", {}).get(chat_id)
        return found

    def moderation_of(self, chat_id: ChatId) -> tuple[MemberId, Hidden | None]:
        return self._stored(chat_id).chat.owner_id, self.hidden(chat_id)

    def hide(self, chat_id: ChatId, hidden: Hidden) -> None:
        self._state.setdefault("hidden", {})[chat_id] = hidden
        self._stored(chat_id).chat.hidden = True

    def unhide(self, chat_id: ChatId) -> None:
        self._state.setdefault("hidden", {}).pop(chat_id, None)
        self._stored(chat_id).chat.hidden = False

    def _stored(self, chat_id: ChatId) -> _StoredChat:
        try:
            return self._chats[chat_id]
        except KeyError:
            raise ChatNotFound("No such chat.") from None


class FakeSocialAccountRepository(_Snapshots, SocialAccountRepository):
    def __init__(self) -> None:
        self._state = {"links": {}}  # (provider, account_id) -> member

    @property
    def _links(self) -> dict[tuple[str, str], MemberId]:
        links: dict[tuple[str, str], MemberId] = self._state["links"]
        return links

    def member_for(self, provider: str, account_id: str) -> MemberId | None:
        return self._links.get((provider, account_id))

    def link(self, member_id: MemberId, provider: str, account_id: str) -> None:
        if (provider, account_id) in self._links or provider in self.providers_of(member_id):
            raise ValidationFailed({"provider": ["linked already"]})
        self._links[(provider, account_id)] = member_id

    def providers_of(self, member_id: MemberId) -> list[str]:
        return sorted(p for (p, _), m in self._links.items() if m == member_id)

    def unlink(self, member_id: MemberId, provider: str) -> None:
        for key, member in list(self._links.items()):
            if member == member_id and key[0] == provider:
                del self._links[key]

    def account_of(self, member_id: MemberId, provider: str) -> str | None:
        return next(
            (a for (p, a), m in self._links.items() if m == member_id and p == provider), None
        )

    def unlink_account(self, provider: str, account_id: str) -> MemberId | None:
        return self._links.pop((provider, account_id), None)


class FakeLoginCodeRepository(_Snapshots, LoginCodeRepository):
    def __init__(self) -> None:
        self._state = {"codes": {}}

    @property
    def codes(self) -> dict[str, tuple[MemberId, datetime]]:
        codes: dict[str, tuple[MemberId, datetime]] = self._state["codes"]
        return codes

    def add(self, code_hash: str, member_id: MemberId, expires_at: datetime) -> None:
        self.codes[code_hash] = (member_id, expires_at)

    def take(self, code_hash: str, now: datetime) -> MemberId | None:
        found = self.codes.pop(code_hash, None)
        return found[0] if found and found[1] > now else None


class FakeOAuthStateRepository(_Snapshots, OAuthStateRepository):
    def __init__(self) -> None:
        self._state = {"states": {}}

    @property
    def states(self) -> dict[str, datetime]:
        states: dict[str, datetime] = self._state["states"]
        return states

    def spend(self, state_hash: str, expires_at: datetime, now: datetime) -> bool:
        for kept, until in list(self.states.items()):
            if until <= now:
                del self.states[kept]
        if state_hash in self.states:
            return False
        self.states[state_hash] = expires_at
        return True


@dataclass
class _StoredToken:
    member_id: MemberId
    purpose: TokenPurpose
    expires_at: datetime
    used_at: datetime | None = None


class FakeAccountTokenRepository(_Snapshots, AccountTokenRepository):
    def __init__(self) -> None:
        self._state = {"tokens": {}}

    @property
    def tokens(self) -> dict[str, _StoredToken]:
        tokens: dict[str, _StoredToken] = self._state["tokens"]
        return tokens

    def add(
        self,
        token_hash: str,
        member_id: MemberId,
        purpose: TokenPurpose,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        self.tokens[token_hash] = _StoredToken(member_id, purpose, expires_at)

    def holder(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> MemberId | None:
        token = self.tokens.get(token_hash)
        usable = token and token.purpose == purpose and token.used_at is None
        return token.member_id if token and usable and token.expires_at > now else None

    def drop_unused(self, member_id: MemberId) -> None:
        for token_hash, token in list(self.tokens.items()):
            if token.member_id == member_id and token.used_at is None:
                del self.tokens[token_hash]

    def use(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> MemberId | None:
        member_id = self.holder(token_hash, purpose, now)
        if member_id is None:
            return None
        for token in self.tokens.values():
            if token.member_id == member_id and token.purpose == purpose and not token.used_at:
                token.used_at = now
        return member_id


class FakeConsentRepository(_Snapshots, ConsentRepository):
    def __init__(self, members: FakeMemberRepository) -> None:
        self._state = {"given": []}
        self._members = members  # whose `agreed` shows the latest of each, as the database's

    @property
    def given(self) -> list[tuple[MemberId, GivenConsent]]:
        given: list[tuple[MemberId, GivenConsent]] = self._state["given"]
        return given

    def record(self, member_id: MemberId, given: dict[Consent, str], at: datetime) -> None:
        for what, version in given.items():
            self.given.append((member_id, GivenConsent(what, version, at)))
        member = self._members.get(member_id)
        agreed = {**dict(member.agreed), **given}
        self._members.put(replace(member, agreed=tuple(agreed.items())))

    def of(self, member_id: MemberId) -> list[GivenConsent]:
        return [consent for owner, consent in self.given if owner == member_id]


class FakeMailer(Mailer):
    """Keeps every mail handed over."""

    def __init__(self) -> None:
        self.sent: list[Mail] = []

    def send(self, mail: Mail) -> None:
        self.sent.append(mail)


class FakeIdentityProvider(IdentityProvider):
    """Gives the next identity of its script for any code, or raises ProviderFailed for a
    script entry that is None. Remembers what it was asked."""

    def __init__(self, name: str, *identities: ExternalIdentity | None) -> None:
        self.name = name
        self.script = deque(identities)
        self.asked: list[tuple[str, str, str]] = []

    def identity(self, account_id: str = "1", **fields: Any) -> ExternalIdentity:
        values: dict[str, Any] = {"nickname": "octo", "email": None, "email_verified": False}
        values.update(fields)
        return ExternalIdentity(provider=self.name, account_id=account_id, **values)

    def authorization_url(self, *, state: str, code_verifier: str, redirect_uri: str) -> str:
        return f"https://{self.name}.example/authorize?state={state}&redirect_uri={redirect_uri}"

    def fetch_identity(
        self, *, code: str, code_verifier: str, redirect_uri: str
    ) -> ExternalIdentity:
        self.asked.append((code, code_verifier, redirect_uri))
        outcome = self.script.popleft()
        if outcome is None:
            raise ProviderFailed(f"{self.name} failed.")
        return outcome


class FakeProviderUnlinker(ProviderUnlinker):
    """Records the accounts it is asked to unlink, with whether a transaction of `uow` was open
    at the time; raises ProviderFailed instead while `failing`."""

    def __init__(self, uow: "FakeUnitOfWork | None" = None) -> None:
        self.uow = uow
        self.unlinked: list[tuple[str, bool]] = []
        self.failing = False

    def unlink(self, account_id: str) -> None:
        self.unlinked.append((account_id, self.uow is not None and self.uow.in_transaction))
        if self.failing:
            raise ProviderFailed("Kakao is down.")


@dataclass
class StoredReport:
    chat_id: ChatId
    member_id: MemberId
    reason: ReportReason
    detail: str
    at: datetime
    closed_at: datetime | None = None


class FakeReportRepository(_Snapshots, ReportRepository):
    def __init__(self, members: FakeMemberRepository) -> None:
        self._state = {"reports": []}
        self._members = members

    def all(self) -> list[StoredReport]:
        return copy.deepcopy(self._state["reports"])

    def add(
        self, chat_id: ChatId, member_id: MemberId, reason: ReportReason, detail: str, at: datetime
    ) -> None:
        if any(r.chat_id == chat_id and r.member_id == member_id for r in self.all()):
            raise AlreadyReported("You reported this chat already.")
        self._state["reports"].append(StoredReport(chat_id, member_id, reason, detail, at))

    def open_reporters(self, chat_id: ChatId) -> int:
        verified = {m.id for m in self._members.all() if m.email_verified}
        return len(
            {
                r.member_id
                for r in self._state["reports"]
                if r.chat_id == chat_id and r.closed_at is None and r.member_id in verified
            }
        )

    def close_open(self, chat_id: ChatId, at: datetime) -> int:
        closed = 0
        for r in self._state["reports"]:
            if r.chat_id == chat_id and r.closed_at is None:
                r.closed_at = at
                closed += 1
        return closed


class FakeModerationLog(_Snapshots, ModerationLog):
    def __init__(self) -> None:
        self._state = {"entries": []}

    def entries(self) -> list[ModerationRecord]:
        return list(self._state["entries"])

    def record(self, entry: ModerationRecord) -> None:
        self._state["entries"].append(entry)


class FakeRatingRepository(_Snapshots, RatingRepository):
    def __init__(self, chats: FakeChatRepository) -> None:
        self._state = {"ratings": {}}  # (turn, member) -> (rating, at)
        self._chats = chats

    @property
    def ratings(self) -> dict[tuple[TurnId, MemberId], tuple[Rating, datetime]]:
        ratings: dict[tuple[TurnId, MemberId], tuple[Rating, datetime]] = self._state["ratings"]
        return ratings

    def target(self, chat_id: ChatId, turn_id: TurnId) -> RatingTarget:
        turn = next((t for t in self._chats.turns(chat_id) if t.id == turn_id), None)
        if turn is None:
            raise ChatNotFound("No such turn in this chat.")
        owner, hidden = self._chats.moderation_of(chat_id)
        return RatingTarget(owner, hidden is not None, turn.status, turn.has_answer_text)

    def rate(self, turn_id: TurnId, member_id: MemberId, rating: Rating, at: datetime) -> None:
        self.ratings[(turn_id, member_id)] = (rating, at)

    def withdraw(self, turn_id: TurnId, member_id: MemberId) -> None:
        self.ratings.pop((turn_id, member_id), None)

    def of_member(self, member_id: MemberId) -> list[GivenRating]:
        chat_of = {t.id: c for c in self._chats.ids() for t in self._chats.turns(c)}
        return sorted(
            (
                GivenRating(chat_of[turn], turn, rating, at)
                for (turn, member), (rating, at) in self.ratings.items()
                if member == member_id
            ),
            key=lambda given: given.rated_at,
        )


class FakeUnitOfWork(UnitOfWork):
    """Snapshots the repositories on entry and restores them on exit unless commit() was called
    and the block ended without an exception, as DjangoUnitOfWork does. Not re-entrant."""

    members: FakeMemberRepository
    chats: FakeChatRepository
    quota: FakeQuotaLedger
    social: FakeSocialAccountRepository
    login_codes: FakeLoginCodeRepository
    oauth_states: FakeOAuthStateRepository
    account_tokens: FakeAccountTokenRepository
    reports: FakeReportRepository
    moderation_log: FakeModerationLog
    consents: FakeConsentRepository
    ratings: FakeRatingRepository

    def __init__(
        self,
        members: FakeMemberRepository | None = None,
        chats: FakeChatRepository | None = None,
        quota: FakeQuotaLedger | None = None,
    ) -> None:
        self.members = members or FakeMemberRepository()
        self.chats = chats or FakeChatRepository()
        self.quota = quota or FakeQuotaLedger()
        self.chats.ledger = self.quota
        self.social = FakeSocialAccountRepository()
        self.login_codes = FakeLoginCodeRepository()
        self.oauth_states = FakeOAuthStateRepository()
        self.account_tokens = FakeAccountTokenRepository()
        self.reports = FakeReportRepository(self.members)
        self.moderation_log = FakeModerationLog()
        self.members.account_tokens = self.account_tokens
        self.consents = FakeConsentRepository(self.members)
        self.ratings = FakeRatingRepository(self.chats)
        self.commits = 0
        self.rollbacks = 0
        self._saved: tuple[dict[str, Any], ...] | None = None
        self._committed = False

    @property
    def in_transaction(self) -> bool:
        return self._saved is not None

    def __enter__(self) -> Self:
        if self._saved is not None:
            raise AssertionError("FakeUnitOfWork is not re-entrant.")
        self._saved = tuple(r.snapshot() for r in self._repositories())
        self._committed = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._saved is not None, "__exit__ without __enter__"
        saved, self._saved = self._saved, None
        if self._committed and exc_type is None:
            self.commits += 1
            return
        self.rollbacks += 1
        for repository, state in zip(self._repositories(), saved, strict=True):
            repository.restore(state)

    def commit(self) -> None:
        assert self._saved is not None, "commit() outside the block"
        self._committed = True

    def _repositories(self) -> tuple[_Snapshots, ...]:
        return (
            self.members,
            self.chats,
            self.quota,
            self.social,
            self.login_codes,
            self.oauth_states,
            self.account_tokens,
            self.reports,
            self.moderation_log,
            self.consents,
            self.ratings,
        )


class FakeChatQueries(ChatQueries):
    """The read side, built from what the fake repositories hold."""

    def __init__(
        self,
        chats: FakeChatRepository,
        members: FakeMemberRepository,
        ratings: FakeRatingRepository | None = None,
    ) -> None:
        self._chats = chats
        self._members = members
        self._ratings = ratings or FakeRatingRepository(chats)
        self.limits_asked: list[int] = []

    def list_chats(
        self, *, owner: MemberId | None, before: ChatId | None, limit: int
    ) -> list[ChatSummary]:
        self.limits_asked.append(limit)
        ids = [
            chat_id
            for chat_id in sorted(self._chats.ids(), reverse=True)
            if (before is None or chat_id < before)
            and (owner is None or self._chats.owner_of(chat_id) == owner)
            and (owner is not None or self._chats.hidden(chat_id) is None)
        ]
        return [self._summary(chat_id) for chat_id in ids[:limit]]

    def ratings(self, chat_id: ChatId, member: MemberId) -> dict[TurnId, Rating]:
        turns = {t.id for t in self._chats.turns(chat_id)}
        return {
            t: r for (t, m), (r, _) in self._ratings.ratings.items() if m == member and t in turns
        }

    def chat(self, chat_id: ChatId, rater: MemberId | None = None) -> ChatView:
        chat = self._chats.stored(chat_id)
        mine = {} if rater is None else self._ratings_of(chat_id, rater)
        return ChatView(
            id=chat_id,
            owner_id=chat.owner_id,
            title=chat.title,
            author=self._members.get(chat.owner_id).nickname,
            created_at=chat.created_at,
            updated_at=chat.updated_at,
            prompts=chat.prompts,
            turns=tuple(
                replace(TurnView.of(t), my_rating=mine.get(TurnId(t.id or 0)))
                for t in self._chats.turns(chat_id)
            ),
            model=chat.model,
            anonymous=chat.anonymous,
            hidden_reason=self._hidden_reason(chat_id),
        )

    def _ratings_of(self, chat_id: ChatId, member: MemberId) -> dict[TurnId, int]:
        return {t: int(r) for t, r in self.ratings(chat_id, member).items()}

    def _hidden_reason(self, chat_id: ChatId) -> str | None:
        hidden = self._chats.hidden(chat_id)
        return None if hidden is None else hidden.reason

    def chat_version(self, chat_id: ChatId) -> ChatVersion:
        return self.chat(chat_id).version()

    def chat_summary(self, chat_id: ChatId) -> ChatSummary:
        return self._summary(chat_id)

    def answer_so_far(self, chat_id: ChatId, turn_id: TurnId) -> tuple[TurnStatus, str]:
        for turn in self.chat(chat_id).turns:
            if turn.id == turn_id:
                return turn.status, ""
        raise ChatNotFound("No such turn in this chat.")

    def _summary(self, chat_id: ChatId) -> ChatSummary:
        chat = self._chats.stored(chat_id)
        return ChatSummary(
            id=chat_id,
            title=chat.title,
            author=self._members.get(chat.owner_id).nickname,
            created_at=chat.created_at,
            updated_at=chat.updated_at,
            turn_count=chat.turn_count,
            anonymous=chat.anonymous,
            hidden_reason=self._hidden_reason(chat_id),
            journey=Journey.of(chat.prompts),
        )


class FakeUsageQueries(UsageQueries):
    """The ledger's read side, built from what the fake ledger and chats hold."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def entries(self, member: MemberId, first: date, last: date) -> list[LedgerEntry]:
        paid = {r.id: turn_id for turn_id, r in self._uow.chats.paid_by.items()}
        found = []
        for reservation, at, refunded in self._uow.quota.taken():
            if reservation.member_id != member or not first <= reservation.day <= last:
                continue
            chat_id, title, status = self._turn_of(paid.get(reservation.id))
            found.append(LedgerEntry(at, reservation.day, refunded, chat_id, title, status))
        return sorted(found, key=lambda e: e.at, reverse=True)

    def _turn_of(
        self, turn_id: TurnId | None
    ) -> tuple[ChatId | None, str | None, TurnStatus | None]:
        for chat_id in self._uow.chats.ids():
            for turn in self._uow.chats.turns(chat_id):
                if turn.id == turn_id:
                    return chat_id, self._uow.chats.stored(chat_id).title, turn.status
        return None, None, None

    def used_by_day(self, member: MemberId, first: date, last: date) -> dict[date, int]:
        return {d: n for d, n in self._uow.quota.history(member) if first <= d <= last and n}


@dataclass
class Harness:
    """Every use case wired to one set of fakes."""

    clock: FakeClock
    uow: FakeUnitOfWork
    model: FakeChatModel
    settings: ChatSettings
    passwords: FakePasswordPolicy
    queries: FakeChatQueries
    live: LiveAnswers = field(default_factory=LiveAnswers)
    mailer: FakeMailer = field(default_factory=FakeMailer)
    links: MailLinks = field(default_factory=lambda: MailLinks("/"))

    @property
    def members(self) -> FakeMemberRepository:
        return self.uow.members

    @property
    def chats(self) -> FakeChatRepository:
        return self.uow.chats

    @property
    def quota(self) -> FakeQuotaLedger:
        return self.uow.quota

    def used_today(self, member: MemberId) -> int:
        return self.quota.used(member, self.settings.policy.day_of(self.clock.now()))

    @property
    def start(self) -> StartChatSession:
        return StartChatSession(self.uow, self.model, self.settings, self.clock)

    @property
    def send(self) -> SendMessage:
        return SendMessage(self.uow, self.model, self.settings, self.clock)

    @property
    def register(self) -> RegisterMember:
        return RegisterMember(self.uow, self.passwords, self.settings, self.clock)

    @property
    def get_profile(self) -> GetProfile:
        return GetProfile(self.uow, self.settings, self.clock)

    @property
    def update_profile(self) -> UpdateProfile:
        return UpdateProfile(
            self.uow, self.get_profile, self.settings, self.clock, self.send_verification_mail
        )

    @property
    def list_chats(self) -> ListChats:
        return ListChats(self.queries)

    @property
    def get_chat(self) -> GetChat:
        return GetChat(self.queries)

    @property
    def delete_chat(self) -> DeleteChat:
        return DeleteChat(self.uow)

    @property
    def stream_answer(self) -> StreamAnswer:
        return StreamAnswer(self.uow, self.model, self.clock, FakeBlocking(), self.live)

    @property
    def stop_answer(self) -> StopAnswer:
        return StopAnswer(self.uow, self.live)

    @property
    def send_verification_mail(self) -> SendVerificationMail:
        return SendVerificationMail(self.uow, self.mailer, self.links, self.clock)

    @property
    def sign_up(self) -> SignUp:
        return SignUp(self.register, self.send_verification_mail)

    @property
    def verify_email(self) -> VerifyEmail:
        return VerifyEmail(self.uow, self.clock)

    @property
    def request_password_reset(self) -> RequestPasswordReset:
        return RequestPasswordReset(self.uow, self.mailer, self.links, self.clock)

    @property
    def reset_password(self) -> ResetPassword:
        return ResetPassword(self.uow, self.passwords, self.clock)

    @property
    def rate_answer(self) -> RateAnswer:
        return RateAnswer(self.uow, self.clock)

    @property
    def withdraw_rating(self) -> WithdrawRating:
        return WithdrawRating(self.uow)

    @property
    def list_usage(self) -> ListUsage:
        return ListUsage(self.uow, FakeUsageQueries(self.uow), self.settings, self.clock)


SYSTEM_PROMPT = "You are a patient coach."


def a_guide(*, history_budget: int = 12_000, system_prompt: str = SYSTEM_PROMPT) -> Guide:
    return Guide(
        system_prompt=system_prompt,
        sampling=Sampling(model="fake-model", temperature=0.5, max_tokens=256),
        history_budget=history_budget,
    )


def harness(
    *,
    limit: int = 5,
    model: FakeChatModel | None = None,
    history_budget: int = 12_000,
    system_prompt: str = SYSTEM_PROMPT,
    at: datetime = NOON_IN_SEOUL,
    time_zone: ZoneInfo = SEOUL,
) -> Harness:
    uow = FakeUnitOfWork()
    clock = FakeClock(at)
    uow.quota.clock = clock
    return Harness(
        clock=clock,
        uow=uow,
        model=model or FakeChatModel(),
        settings=ChatSettings(
            a_guide(history_budget=history_budget, system_prompt=system_prompt),
            DailyQuotaPolicy(limit=limit, time_zone=time_zone),
        ),
        passwords=FakePasswordPolicy(uow=uow),
        queries=FakeChatQueries(uow.chats, uow.members, uow.ratings),
    )
