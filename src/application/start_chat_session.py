from dataclasses import dataclass

from application.asking import ChatSettings, PreparedTurn, answer, invalid, reserve
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
        view, prepared = self.prepare(data, stream=False)
        turn = answer(self._uow, self._model, self._clock, prepared)
        return view.with_turn(TurnView.of(turn))

    def prepare(
        self, data: StartChatSessionInput, *, stream: bool
    ) -> tuple[ChatView, PreparedTurn]:
        """Validate, take one request from the quota and store the chat with its pending first
        turn, in one short transaction. Nothing is reserved or stored for invalid input."""
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
        with self._uow as uow:
            member = uow.members.get(data.member_id)
            reservation = reserve(uow.quota, member, self._settings.policy, self._clock)
            chat, turn = Chat.start(
                member, prompts, self._settings.guide, self._clock.now(), stream=stream, model=model
            )
            chat.id = uow.chats.add(chat)
            turn.id = uow.chats.add_turn(chat, turn)
            uow.commit()
        view = ChatView(
            id=chat.id,
            owner_id=member.id,
            title=chat.title,
            author=member.nickname,
            created_at=chat.created_at,
            updated_at=chat.updated_at,
            prompts=chat.prompts,
            turns=(TurnView.of(turn),),
            model=chat.model,
        )
        return view, PreparedTurn(chat_id=chat.id, turn=turn, reservation=reservation)
