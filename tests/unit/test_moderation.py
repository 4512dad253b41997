"""The moderation use cases against fakes: who may report, when reports hide a chat, what each
of staff's actions changes and logs, and that a refused step changes nothing."""

import pytest

from application.chats import GetChat, ListChatsInput
from application.errors import (
    AlreadyReported,
    ChatHidden,
    ChatNotFound,
    EmailUnverified,
    MemberInactive,
    OwnChatReport,
    ValidationFailed,
)
from application.moderation import (
    DeactivateAuthor,
    DismissReports,
    HideChat,
    HideChatInput,
    ModerateInput,
    ReportChat,
    ReportChatInput,
    RestoreChat,
)
from application.send_message import SendMessageInput
from domain.ids import ChatId, MemberId
from domain.member import Member
from domain.moderation import REPORTS, ModerationKind, hides_now
from tests.unit.fakes import Harness, harness
from tests.unit.test_list_chats import seed_chats


def setup(threshold: int = 3) -> tuple[Harness, ReportChat, Member, ChatId]:
    app = harness()
    owner = app.members.new("owner", email_verified=True)
    (chat_id,) = seed_chats(app, owner, 1)
    return app, ReportChat(app.uow, app.clock, threshold), owner, chat_id


def reporter(app: Harness, name: str, verified: bool = True) -> MemberId:
    return app.members.new(name, email_verified=verified).id


def test_a_verified_member_reports_once() -> None:
    app, report, _, chat_id = setup()
    mina = reporter(app, "mina")

    made = report(ReportChatInput(chat_id, mina, "abuse", "  rude  "))

    assert (made.reason.value, made.detail, made.created_at) == ("abuse", "rude", app.clock.now())
    with pytest.raises(AlreadyReported):
        report(ReportChatInput(chat_id, mina, "spam"))
    assert len(app.uow.reports.all()) == 1


@pytest.mark.parametrize(
    ("who", "error"),
    [("unverified", EmailUnverified), ("owner", OwnChatReport), ("gone", MemberInactive)],
)
def test_who_may_not_report_changes_nothing(who: str, error: type[Exception]) -> None:
    app, report, owner, chat_id = setup()
    member = {
        "unverified": reporter(app, "new", verified=False),
        "owner": owner.id,
        "gone": MemberId(999),
    }[who]

    with pytest.raises(error):
        report(ReportChatInput(chat_id, member, "spam"))

    assert app.uow.reports.all() == []


def test_bad_input_is_refused_before_anything_is_read() -> None:
    app, report, _, chat_id = setup()
    with pytest.raises(ValidationFailed):
        report(ReportChatInput(chat_id, reporter(app, "a"), "boring"))
    with pytest.raises(ValidationFailed):
        report(ReportChatInput(chat_id, reporter(app, "b"), "spam", "x" * 1001))
    assert app.uow.reports.all() == []


def test_the_third_verified_reporter_hides_the_chat_in_the_same_step() -> None:
    app, report, owner, chat_id = setup()
    for name in ("a", "b"):
        report(ReportChatInput(chat_id, reporter(app, name), "spam"))
    assert app.chats.hidden(chat_id) is None

    report(ReportChatInput(chat_id, reporter(app, "c"), "spam"))

    hidden = app.chats.hidden(chat_id)
    assert hidden is not None
    assert (hidden.reason, hidden.by, hidden.at) == (REPORTS, None, app.clock.now())
    (entry,) = app.uow.moderation_log.entries()
    assert (entry.kind, entry.actor, entry.chat_id, entry.member_id) == (
        ModerationKind.AUTO_HIDE,
        None,
        chat_id,
        owner.id,
    )
    with pytest.raises(ChatNotFound):
        report(ReportChatInput(chat_id, reporter(app, "d"), "spam"))


def test_a_hidden_chat_is_found_by_its_owner_and_staff_only() -> None:
    app, _, owner, chat_id = setup()
    HideChat(app.uow, app.clock)(HideChatInput(chat_id, MemberId(77), "ads", reason="spam"))
    get = GetChat(app.queries)

    assert get(chat_id, owner.id).hidden_reason == "spam"
    assert get(chat_id, MemberId(5), staff=True).hidden
    for viewer in (None, MemberId(5)):
        with pytest.raises(ChatNotFound):
            get(chat_id, viewer)
        with pytest.raises(ChatNotFound):
            get.version(chat_id, viewer)
    assert app.list_chats(ListChatsInput()).items == []
    assert [c.hidden_reason for c in app.list_chats(ListChatsInput(owner=owner.id)).items] == [
        "spam"
    ]
    with pytest.raises(ChatHidden):
        app.send(SendMessageInput(chat_id, owner.id, "Still there?"))
    assert app.used_today(owner.id) == 0


def test_staff_actions_change_the_chat_and_are_logged() -> None:
    app, report, owner, chat_id = setup(threshold=1)
    staff = MemberId(900)
    report(ReportChatInput(chat_id, reporter(app, "a"), "abuse"))

    DismissReports(app.uow, app.clock)(ModerateInput(chat_id, staff, "unfounded"))
    assert app.chats.hidden(chat_id) is None  # reports alone hid it: shown again
    HideChat(app.uow, app.clock)(HideChatInput(chat_id, staff, "ads", reason="spam"))
    DismissReports(app.uow, app.clock)(ModerateInput(chat_id, staff))
    assert app.chats.hidden(chat_id) is not None  # staff hid it: stays hidden
    RestoreChat(app.uow, app.clock)(ModerateInput(chat_id, staff, "appeal"))
    assert app.chats.hidden(chat_id) is None
    DeactivateAuthor(app.uow, app.clock)(ModerateInput(chat_id, staff, "spammer"))

    assert app.members.deactivated() == [owner.id]
    assert all(r.closed_at is not None for r in app.uow.reports.all())
    log = [(e.kind, e.actor, e.note) for e in app.uow.moderation_log.entries()]
    assert log == [
        (
            ModerationKind.AUTO_HIDE,
            None,
            "Open reports from 1 verified members; hidden for review.",
        ),
        (ModerationKind.DISMISS, staff, "unfounded"),
        (ModerationKind.HIDE, staff, "ads"),
        (ModerationKind.DISMISS, staff, "0 reports dismissed."),
        (ModerationKind.RESTORE, staff, "appeal"),
        (ModerationKind.DEACTIVATE, staff, "spammer"),
    ]


def test_a_hide_needs_a_reason_the_owner_can_be_told() -> None:
    app, _, _, chat_id = setup()
    with pytest.raises(ValidationFailed):
        HideChat(app.uow, app.clock)(HideChatInput(chat_id, MemberId(9), reason="reports"))
    assert app.chats.hidden(chat_id) is None
    assert app.uow.moderation_log.entries() == []


@pytest.mark.parametrize(
    ("reporters", "threshold", "hides"),
    [(0, 3, False), (2, 3, False), (3, 3, True), (4, 3, True), (1, 1, True), (9, 0, False)],
)
def test_the_threshold(reporters: int, threshold: int, hides: bool) -> None:
    assert hides_now(reporters, threshold) is hides
