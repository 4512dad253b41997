from dataclasses import dataclass

from application.asking import ChatSettings, PreparedTurn, answer, invalid, reserve
from application.errors import NotChatOwner
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
        prepared = self.prepare(data, stream=False)
        return TurnView.of(answer(self._uow, self._model, self._clock, prepared))

    def prepare(self, data: SendMessageInput, *, stream: bool) -> PreparedTurn:
        """Check, take one request from the quota and store the pending turn, in one short
        transaction. Nothing is reserved or stored for invalid input or someone else's chat."""
        try:
            validate_message(data.content)
        except DomainError as error:
            raise invalid(error) from error
        with self._uow as uow:
            chat = uow.chats.get_for_update(data.chat_id)
            if not chat.is_owned_by(data.member_id):
                raise NotChatOwner("Only the chat's owner can write to it.")
            member = uow.members.get(data.member_id)
            reservation = reserve(uow.quota, member, self._settings.policy, self._clock)
            turn = chat.ask(
                data.content, member, self._settings.guide, self._clock.now(), stream=stream
            )
            turn.id = uow.chats.add_turn(chat, turn)
            uow.commit()
        return PreparedTurn(chat_id=data.chat_id, turn=turn, reservation=reservation)
