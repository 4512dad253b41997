from dataclasses import dataclass
from datetime import datetime
from functools import partial

from application.asking import (
    AdmittedTurn,
    ChatSettings,
    PreparedTurn,
    answer,
    charge,
    chatting_member,
    exceeded,
    invalid,
    refunding_on_failure,
    refuse_personal_data,
    reserve,
)
from application.ports import ChatModel, Clock, UnitOfWork
from application.views import ChatView, TurnView
from domain.chat import Chat, Turn
from domain.errors import DomainError
from domain.ids import MemberId
from domain.member import Member
from domain.prompts import PromptKind, answer_intake


@dataclass(frozen=True, slots=True)
class StartChatSessionInput:
    member_id: MemberId
    current_state: str
    goal: str
    misc: str = ""
    language: str = "en"
    model: str | None = None  # one of the allowed models; None: the default
    anonymous: bool | None = None  # None: as the member's profile says


class StartChatSession:
    """A member answers the bot's intake; the bot asks the model with those prompts."""

    def __init__(
        self, uow: UnitOfWork, model: ChatModel, settings: ChatSettings, clock: Clock
    ) -> None:
        self._uow = uow
        self._model = model
        self._settings = settings
        self._clock = clock

    def __call__(self, data: StartChatSessionInput) -> ChatView:
        """A plain (not streamed) answer: the chat is stored and its request taken from the
        quota in one step, then the model is asked."""
        chat, turn, member, now = self._build(data, stream=False)
        settings = self._settings
        wanted = charge(member, settings.policy, now)
        stored = self._uow.chats.start_charged(chat, turn, wanted, now + settings.lease)
        if stored is None:
            raise exceeded(wanted, settings.policy, now)
        chat.id, turn.id, reservation = stored
        prepared = PreparedTurn(chat_id=chat.id, turn=turn, reservation=reservation)
        answered = answer(self._uow, self._model, self._clock, prepared)
        return ChatView.of(chat, member, (TurnView.of(answered),))

    def admit(self, data: StartChatSessionInput, *, stream: bool) -> AdmittedTurn:
        """Validate, read the member and take one request from the quota. Nothing is taken or
        stored for invalid input; the chat is stored by the turn's `record()`, which a streamed
        answer does while the model is already working on it."""
        uow, settings = self._uow, self._settings
        chat, turn, member, now = self._build(data, stream=stream)
        reservation = reserve(uow.quota, member, settings.policy, self._clock)

        def store() -> PreparedTurn:
            chat.id, turn.id = uow.chats.start(chat, turn, reservation, now + settings.lease)
            return PreparedTurn(chat_id=chat.id, turn=turn, reservation=reservation)

        record = partial(refunding_on_failure, uow, reservation, store)
        return AdmittedTurn(turn, reservation, record)

    def _build(
        self, data: StartChatSessionInput, *, stream: bool
    ) -> tuple[Chat, Turn, Member, datetime]:
        """The chat and its first turn, for the member making the request; nothing stored."""
        answers = {
            PromptKind.CURRENT_STATE: data.current_state,
            PromptKind.GOAL: data.goal,
            PromptKind.MISC: data.misc,
        }
        refuse_personal_data(
            {"current_state": data.current_state, "goal": data.goal, "misc": data.misc}
        )
        try:
            prompts = answer_intake(data.language, answers)
        except DomainError as error:
            raise invalid(error) from error
        settings = self._settings
        model = settings.choose_model(data.model)
        member = chatting_member(self._uow, data.member_id, settings.rules)
        now = self._clock.now()
        chat, turn = Chat.start(
            member, prompts, settings.guide, now, stream=stream, model=model,
            anonymous=data.anonymous,
        )  # fmt: skip
        return chat, turn, member, now
