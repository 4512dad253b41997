"""Reports in the browser: a member reports a chat, three verified members' reports hide it
(the third reader sees it gone, a visitor too), and its owner sees it marked hidden, with why."""

from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import Member, Members, screenshot, sign_in
from tests.support.live_server import LiveServer
from tests.support.members import PASSWORD
from tests.support.smtp import Inbox


def verified(members: Members, api: LiveServer, mailbox: Inbox, prefix: str) -> Member:
    """A member whose email is verified by the link in their sign-up mail, through the API (a
    no-op for sign-ups that verify already)."""
    member = members.create(prefix)
    with api.client(member.access) as client:
        if client.get("/api/me/").json()["email_verified"]:
            return member
    mailbox.wait_for(member.email)
    token = mailbox.to(member.email)[-1].token
    with api.client() as client:
        assert client.post("/api/auth/email/verify/", json={"token": token}).status_code == 200
    return member


def unverified(members: Members, api: LiveServer) -> Member:
    email, nickname = members.fresh_identity("unverified")
    with api.client() as client:
        signed = client.post(
            "/api/auth/signup/",
            # The consents are what sign-ups that ask for them need; others ignore them.
            json={
                "email": email,
                "password": PASSWORD,
                "nickname": nickname,
                "accept_terms": True,
                "over_14": True,
            },
        )
        assert signed.status_code == 201, signed.text
    return members.log_in(email, nickname, signed.json()["id"])


def report(page: Page, reason: str, detail: str = "") -> None:
    page.get_by_role("button", name="Report").click()
    dialog = page.get_by_role("dialog", name="Report this chat")
    expect(dialog).to_be_visible()
    dialog.get_by_label(reason).check()
    if detail:
        dialog.get_by_label("Details (optional)").fill(detail)
    dialog.get_by_role("button", name="Send report").click()


def test_a_member_reports_a_chat_once_and_an_unverified_one_is_asked_to_verify(
    page: Page,
    new_context: Callable[..., BrowserContext],
    api: LiveServer,
    members: Members,
    mailbox: Inbox,
) -> None:
    owner = verified(members, api, mailbox, "reported")
    chat = members.start_chat(owner, goal="Sell you something")
    path = f"/chats/{chat['id']}"

    newcomer = new_context().new_page()
    sign_in(newcomer, api, unverified(members, api), path)
    report(newcomer, "Spam or advertising")
    dialog = newcomer.get_by_role("dialog", name="Report this chat")
    expect(dialog.get_by_role("alert")).to_contain_text("Verify your email before reporting")
    screenshot(newcomer, "60-report-unverified")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()

    reader = verified(members, api, mailbox, "reader")
    sign_in(page, api, reader, path)
    expect(page.get_by_role("button", name="Delete chat")).to_have_count(0)
    page.get_by_role("button", name="Report").click()
    screenshot(page, "61-report-dialog")
    page.get_by_role("button", name="Cancel").click()
    report(page, "Someone's personal data", "My phone number is in the second answer.")
    expect(page.locator("#toast")).to_contain_text("The moderators will look at this chat")
    expect(page.locator(".chat-title")).to_have_text("Sell you something")  # one report: still up

    page.reload()
    report(page, "Abuse or harassment")
    expect(page.locator("#toast")).to_have_text("You have already reported this chat.")
    expect(page.get_by_role("button", name="Reported")).to_be_disabled()

    # The owner has no Report button on their own chat.
    sign_in(newcomer, api, owner, path)
    expect(newcomer.get_by_role("button", name="Delete chat")).to_be_visible()
    expect(newcomer.get_by_role("button", name="Report")).to_have_count(0)


def test_three_reports_hide_a_chat_and_its_owner_sees_why(
    page: Page,
    new_context: Callable[..., BrowserContext],
    api: LiveServer,
    members: Members,
    mailbox: Inbox,
) -> None:
    owner = verified(members, api, mailbox, "hiddenowner")
    chat = members.start_chat(owner, goal="Buy cheap followers now")
    path = f"/chats/{chat['id']}"
    readers = [verified(members, api, mailbox, f"reporter{n}") for n in range(3)]

    for n, reader in enumerate(readers):
        tab = new_context().new_page()
        sign_in(tab, api, reader, path)
        expect(tab.locator(".chat-title")).to_have_text("Buy cheap followers now")
        report(tab, "Spam or advertising")
        if n < 2:
            expect(tab.locator("#toast")).to_contain_text("The moderators will look at this chat")
    # The third report hid it: its reader sees it gone at once.
    expect(tab.get_by_role("heading", name="Chat not found", level=1)).to_be_visible()
    expect(tab.get_by_role("main")).to_contain_text("This chat does not exist, or it was deleted.")
    screenshot(tab, "62-report-hid-the-chat")

    visitor = new_context().new_page()
    visitor.goto(f"{api.url}/#{path}")
    expect(visitor.get_by_role("heading", name="Chat not found", level=1)).to_be_visible()
    expect(visitor.get_by_role("main")).to_contain_text(
        "This chat does not exist, or it was deleted."
    )
    visitor.goto(f"{api.url}/#/")
    expect(visitor.locator(".card").first).to_be_visible()
    expect(visitor.locator(".card", has_text="Buy cheap followers now")).to_have_count(0)

    sign_in(page, api, owner, path)
    notice = page.locator(".hidden-notice")
    expect(notice).to_contain_text("This chat is hidden.")
    expect(notice).to_contain_text("Several members reported it")
    expect(page.get_by_label("Your message")).to_have_count(0)
    expect(page.get_by_role("button", name="Hide my nickname")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete chat")).to_be_visible()
    mine = page.locator(".side-chat", has_text="Buy cheap followers now")
    expect(mine.locator(".tag-hidden")).to_have_text("Hidden")
    screenshot(page, "63-hidden-chat-owner")

    page.get_by_label("Language").select_option("ko")
    expect(page.locator(".hidden-notice")).to_contain_text("여러 회원이 신고해서")
    expect(page.locator(".side-chat .tag-hidden")).to_have_text("숨김")
