from dataclasses import dataclass
from functools import partial

from application.asking import (
    AdmittedTurn,
    ChatSettings,
    PreparedTurn,
    answer,
    chatting_member,
    invalid,
    refunding_on_failure,
    refuse_personal_data,
    reserve,
)
from application.errors import ChatHidden, ChatNotFound, NotChatOwner
from application.ports import ChatModel, Clock, UnitOfWork
from application.views import TurnView
from domain.chat import validate_message
from domain.errors import DomainError
from domain.ids import ChatId, MemberId


@dataclass(frozen=True, slots=True)
class SendMessageInput:
    chat_id: ChatId
    member_id: MemberId
    content: str


class SendMessage:
    """A member asks a follow-up question in one of their chats."""

    def __init__(
        self, uow: UnitOfWork, model: ChatModel, settings: ChatSettings, clock: Clock
    ) -> None:
        self._uow = uow
        self._model = model
        self._settings = settings
        self._clock = clock

    def __call__(self, data: SendMessageInput) -> TurnView:
        prepared = self.admit(data, stream=False).record()
        return TurnView.of(answer(self._uow, self._model, self._clock, prepared))

    def admit(self, data: SendMessageInput, *, stream: bool) -> AdmittedTurn:
        """Check, read the chat's history and take one request from the quota. Nothing is taken
        or stored for invalid input or someone else's chat; the turn is stored by `record()`,
        at the chat's next index (a concurrent message in the same chat takes the one after)."""
        try:
            validate_message(data.content)
        except DomainError as error:
            raise invalid(error) from error
        refuse_personal_data({"content": data.content})
        uow, settings = self._uow, self._settings
        chat = uow.chats.get(data.chat_id)
        if not chat.is_owned_by(data.member_id):
            if chat.hidden:
                raise ChatNotFound("No such chat.")
            raise NotChatOwner("Only the chat's owner can write to it.")
        if chat.hidden:
            raise ChatHidden("The chat is hidden by moderation; it can only be read and deleted.")
        member = chatting_member(uow, data.member_id, settings.rules)
        reservation = reserve(uow.quota, member, settings.policy, self._clock)
        now = self._clock.now()
        turn = chat.ask(data.content, member, settings.guide, now, stream=stream)

        def store() -> PreparedTurn:
            turn.id, turn.index = uow.chats.add_turn(
                data.chat_id, turn, reservation, now + settings.lease
            )
            return PreparedTurn(chat_id=data.chat_id, turn=turn, reservation=reservation)

        return AdmittedTurn(
            turn, reservation, partial(refunding_on_failure, uow, reservation, store)
        )
