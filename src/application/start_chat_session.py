from dataclasses import dataclass
from functools import partial

from application.asking import (
    AdmittedTurn,
    ChatSettings,
    PreparedTurn,
    acting_member,
    answer,
    invalid,
    refunding_on_failure,
    reserve,
)
from application.ports import ChatModel, Clock, UnitOfWork
from application.views import ChatView, TurnView
from domain.chat import Chat
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
        admitted, chat, member = self._admit(data, stream=False)
        prepared = admitted.record()
        turn = answer(self._uow, self._model, self._clock, prepared)
        return ChatView.of(chat, member, (TurnView.of(turn),))

    def admit(self, data: StartChatSessionInput, *, stream: bool) -> AdmittedTurn:
        """Validate, read the member and take one request from the quota. Nothing is taken or
        stored for invalid input; the chat is stored by the turn's `record()`."""
        return self._admit(data, stream=stream)[0]

    def _admit(
        self, data: StartChatSessionInput, *, stream: bool
    ) -> tuple[AdmittedTurn, Chat, Member]:
        answers = {
            PromptKind.CURRENT_STATE: data.current_state,
            PromptKind.GOAL: data.goal,
            PromptKind.MISC: data.misc,
        }
        try:
            prompts = answer_intake(data.language, answers)
        except DomainError as error:
            raise invalid(error) from error
        model = self._settings.choose_model(data.model)
        uow, settings = self._uow, self._settings
        member = acting_member(uow, data.member_id)
        reservation = reserve(uow.quota, member, settings.policy, self._clock)
        now = self._clock.now()
        chat, turn = Chat.start(member, prompts, settings.guide, now, stream=stream, model=model)

        def store() -> PreparedTurn:
            chat.id, turn.id = uow.chats.start(chat, turn, reservation, now + settings.lease)
            return PreparedTurn(chat_id=chat.id, turn=turn, reservation=reservation)

        record = partial(refunding_on_failure, uow, reservation, store)
        return AdmittedTurn(turn, reservation, record), chat, member
