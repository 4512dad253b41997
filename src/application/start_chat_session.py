from dataclasses import dataclass

from application.asking import ChatSettings, answer, invalid, reserve
from application.ports import ChatModel, Clock, UnitOfWork
from application.views import ChatView, TurnView
from domain.chat import Chat
from domain.errors import DomainError
from domain.ids import MemberId
from domain.prompts import PromptKind, answer_intake


@dataclass(frozen=True, slots=True)
class StartChatSessionInput:
    member_id: MemberId
    current_state: str
    goal: str
    misc: str = ""
    language: str = "en"


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
        answers = {
            PromptKind.CURRENT_STATE: data.current_state,
            PromptKind.GOAL: data.goal,
            PromptKind.MISC: data.misc,
        }
        try:
            prompts = answer_intake(data.language, answers)
        except DomainError as error:
            raise invalid(error) from error
        with self._uow as uow:
            member = uow.members.get(data.member_id)
            reservation = reserve(uow.quota, member, self._settings.policy, self._clock)
            chat, turn = Chat.start(member, prompts, self._settings.guide, self._clock.now())
            chat.id = uow.chats.add(chat)
            turn.id = uow.chats.add_turn(chat, turn)
            uow.commit()
        answer(uow, self._model, self._clock, reservation, chat.id, turn)
        return ChatView(
            id=chat.id,
            owner_id=member.id,
            title=chat.title,
            author=member.nickname,
            created_at=chat.created_at,
            updated_at=chat.updated_at,
            prompts=chat.prompts,
            turns=(TurnView.of(turn),),
        )
