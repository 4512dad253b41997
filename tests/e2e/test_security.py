"""Untrusted text stays inert, the page's policy holds, and only listed origins reach the API."""

import re
from collections.abc import Callable

import httpx
from playwright.sync_api import BrowserContext, ConsoleMessage, Locator, Page, expect

from tests.e2e.conftest import (
    PASSWORD,
    Members,
    StaticSite,
    screenshot,
    sign_in,
)
from tests.support.fake_openai import FakeOpenAI, Reply
from tests.support.live_server import LiveServer, app_server
from tests.support.members import CONSENTS

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"


def payloads(pixel: StaticSite) -> str:
    """A model answer made of attacks: raw HTML, script links, a remote (tracking) image."""
    return "\n\n".join(
        [
            f"An answer such as {IMG} must show as text.",
            SCRIPT,
            "[click me](javascript:alert(3))",
            f"![tracking pixel]({pixel.origin}/pixel.png)",
            '<a href="javascript:alert(4)">html link</a>',
            "<svg onload=alert(5)><circle r=9></svg>",
            '<iframe src="javascript:alert(6)"></iframe>',
            "[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCg3KTwvc2NyaXB0Pg==)",
            '<details open ontoggle="alert(8)">x</details>',
            "A [real link](https://example.com/docs).",
        ]
    )


def assert_inert(area: Locator) -> None:
    """Nothing in `area` can run or load: no active elements where people's and the model's
    text is shown, no event handlers anywhere, and no links but http(s) ones and the app's own
    routes (#/...)."""
    found = area.evaluate(
        """root => ({
            shown: root.querySelectorAll('.markdown, .plain, .card-title, .chat-title').length,
            active: [...root.querySelectorAll('.markdown, .plain, .card-title, .chat-title')]
                .flatMap(box => [...box.querySelectorAll('img, script, iframe, svg, object,'
                    + ' embed, details, style, form, input, video, audio, source, link, meta')])
                .map(e => e.tagName),
            handlers: [...root.querySelectorAll('*')].flatMap(e => [...e.attributes]
                .filter(a => a.name.startsWith('on')).map(a => e.tagName + '.' + a.name)),
            hrefs: [...root.querySelectorAll('[href], [src]')]
                .map(e => e.getAttribute('href') ?? e.getAttribute('src')),
        })"""
    )
    assert found["shown"] > 0, "nothing to check"
    assert found["active"] == [], found
    assert found["handlers"] == [], found
    assert all(h.startswith(("https://", "http://", "#/")) for h in found["hrefs"]), found


def watch_policy(page: Page) -> list[str]:
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", on_console)
    return violations


def test_payloads_in_answers_titles_and_intake_stay_inert_text(
    new_context: Callable[..., BrowserContext],
    api: LiveServer,
    model: FakeOpenAI,
    members: Members,
    pixel: StaticSite,
) -> None:
    member = members.create("xss")
    model.script(Reply(payloads(pixel)))
    chat = members.start_chat(member, goal=IMG, current_state=SCRIPT)

    # In the public feed, as a visitor: the title is the payload, shown as text.
    visitor = new_context().new_page()
    violations = watch_policy(visitor)
    visitor.goto(f"{api.url}/")
    # This chat's card (another chat's journey may carry the same payload).
    card = visitor.locator(".card", has=visitor.locator(f"a[href$='/chats/{chat['id']}']"))
    expect(card.locator(".card-title")).to_have_text(IMG)
    assert_inert(visitor.locator(".cards"))

    # In the chat: every payload is text or a harmless link; nothing loads or runs.
    card.click()
    answer = visitor.locator(".msg-answer").first
    expect(answer).to_contain_text(f"An answer such as {IMG} must show as text.")
    expect(answer).to_contain_text(SCRIPT)
    expect(visitor.get_by_role("heading", level=1)).to_have_text(IMG)
    expect(visitor.locator(".msg-user .plain").first).to_have_text(SCRIPT)
    assert_inert(visitor.locator("main"))
    expect(answer.get_by_text("click me")).not_to_have_attribute("href", "javascript:alert(3)")
    expect(answer.get_by_role("link", name="real link")).to_have_attribute(
        "href", "https://example.com/docs"
    )
    expect(answer.get_by_role("link", name="real link")).to_have_attribute(
        "rel", "noopener noreferrer nofollow ugc"
    )
    # The remote image became a link to click, never a request.
    expect(answer.locator("a.md-image-link")).to_have_text("Image: tracking pixel")
    screenshot(visitor, "12-payloads-shown-as-text")

    # The owner's page, while the same payloads stream in token by token.
    owner = new_context().new_page()
    violations += watch_policy(owner)
    sign_in(owner, api, member, f"/chats/{chat['id']}")
    model.script(Reply(payloads(pixel), token_delay_s=0.005))
    owner.get_by_label("Your message").fill(f"Please repeat {IMG}")
    owner.get_by_label("Your message").press("Enter")
    expect(owner.locator(".msg-answer").last).to_have_attribute("data-status", "completed")
    expect(owner.locator(".msg-user .plain").last).to_have_text(f"Please repeat {IMG}")
    assert_inert(owner.locator("main"))

    assert pixel.hits == [], "a remote image was fetched"
    # The sanitizer left the policy nothing to block (no inline handler even tried to run).
    assert violations == []


def test_the_content_security_policy_is_enforced(
    page: Page, api: LiveServer, pixel: StaticSite
) -> None:
    violations = watch_policy(page)
    page.goto(f"{api.url}/")
    expect(page.get_by_role("heading", name="Public chats", level=1)).to_be_visible()
    # Even if something slipped past the sanitizer: inline script, remote images and requests
    # to other hosts are refused by the page's own policy.
    ran = page.evaluate(
        """async (origin) => {
            const script = document.createElement('script');
            script.textContent = 'window.inlineRan = true';
            document.body.append(script);
            const img = new Image();
            img.src = origin + '/from-img.png';
            document.body.append(img);
            let fetched = true;
            try { await fetch(origin + '/from-fetch'); } catch { fetched = false; }
            await new Promise(r => setTimeout(r, 300));
            return { inline: window.inlineRan === true, fetched };
        }""",
        pixel.origin,
    )
    assert ran == {"inline": False, "fetched": False}
    assert pixel.hits == []
    assert len(violations) >= 3, violations
    headers = httpx.get(f"{api.url}/").headers
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


def test_a_front_end_on_another_origin_works_through_cors(
    new_context: Callable[..., BrowserContext],
    api: LiveServer,
    members: Members,
    other_origins: tuple[StaticSite, StaticSite],
) -> None:
    listed, unlisted = other_origins
    owner = members.create("cors")
    members.start_chat(owner, goal="Seen from another origin")

    # The same files on a listed origin: the feed, logging in and a streamed answer all work.
    page = new_context().new_page()
    page.goto(f"{listed.origin}/")
    expect(page.locator(".card", has_text="Seen from another origin")).to_be_visible()
    member = members.create("corsmember")
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".who")).to_have_text(member.nickname)
    page.get_by_role("link", name="New chat").click()
    box = page.get_by_label("Your answer")
    for text in ("Designer.", "Learn to code."):
        box.fill(text)
        box.press("Enter")
    page.get_by_role("button", name="Skip").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(listed.origin)}/#/chats/\d+$"))
    expect(page.locator(".msg-answer").last).to_have_attribute("data-status", "completed")
    expect(page.locator(".msg-answer").last).to_contain_text("three steps")
    screenshot(page, "13-front-end-on-another-origin")

    # An origin that is not on the list gets nothing from the API.
    stranger = new_context().new_page()
    stranger.goto(f"{unlisted.origin}/")
    expect(stranger.get_by_role("alert")).to_have_text(
        "We could not reach the server. Check your connection and try again."
    )

    with httpx.Client(base_url=api.url, timeout=10) as client:
        preflight = {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        }
        allowed = client.options("/api/chats/", headers={"Origin": listed.origin, **preflight})
        assert allowed.headers["access-control-allow-origin"] == listed.origin
        assert "authorization" in allowed.headers["access-control-allow-headers"]
        exposed = client.get("/api/chats/", headers={"Origin": listed.origin}).headers
        assert exposed["access-control-allow-origin"] == listed.origin
        assert "retry-after" in exposed["access-control-expose-headers"].lower()
        for refused in (
            client.options("/api/chats/", headers={"Origin": unlisted.origin, **preflight}),
            client.get("/api/chats/", headers={"Origin": unlisted.origin}),
            client.get("/api/chats/", headers={"Origin": "https://evil.example"}),
        ):
            assert "access-control-allow-origin" not in refused.headers


NICKNAME = "<img src=x onerror=alert(7)>"
JOB = "<b>a private job</b>"


def test_stored_payloads_stay_inert_after_a_reload_for_owner_and_visitor(
    new_context: Callable[..., BrowserContext],
    api: LiveServer,
    model: FakeOpenAI,
    members: Members,
    pixel: StaticSite,
) -> None:
    # A nickname that is markup, a chat whose intake and answer are attacks: everything stored.
    email, _ = members.fresh_identity("nick")
    with api.client() as client:
        signed = client.post(
            "/api/auth/signup/",
            json={
                "email": email,
                "password": PASSWORD,
                "nickname": NICKNAME,
                "job": JOB,
                **CONSENTS,
            },
        )
        assert signed.status_code == 201, signed.text
    members.verify(email)
    member = members.log_in(email, NICKNAME, signed.json()["id"])
    model.script(Reply(payloads(pixel)))
    chat = members.start_chat(member, goal=SCRIPT, current_state=IMG)

    # The owner, from storage (a reload, not the stream): header, title, intake and answer.
    owner = new_context().new_page()
    violations = watch_policy(owner)
    sign_in(owner, api, member, f"/chats/{chat['id']}")
    owner.reload()
    expect(owner.locator(".who")).to_have_text(NICKNAME)
    expect(owner.get_by_role("heading", level=1)).to_have_text(SCRIPT)
    expect(owner.locator(".msg-answer").first).to_contain_text(SCRIPT)
    assert owner.locator(".who *").count() == 0  # the nickname is text, not an element
    assert_inert(owner.locator("main"))

    # A visitor: the feed card with the nickname, then the chat page.
    visitor = new_context().new_page()
    violations += watch_policy(visitor)
    visitor.goto(f"{api.url}/")
    card = visitor.locator(".card", has_text=SCRIPT).first
    expect(card).to_contain_text(NICKNAME)
    assert_inert(visitor.locator(".cards"))
    visitor.goto(f"{api.url}/#/chats/{chat['id']}")
    expect(visitor.locator(".chat-head")).to_contain_text(NICKNAME)
    expect(visitor.locator(".msg-answer").first).to_contain_text(f"such as {IMG} must")
    assert_inert(visitor.locator("main"))
    # Nothing private of the author reached the visitor's page.
    assert JOB not in visitor.content()
    assert email not in visitor.content()

    assert pixel.hits == []
    assert violations == []


def test_the_policy_blocks_inline_script_and_handlers_and_reports_them(
    page: Page, api: LiveServer
) -> None:
    page.goto(f"{api.url}/")
    expect(page.get_by_role("heading", name="Public chats", level=1)).to_be_visible()

    found = page.evaluate(
        """async () => {
            const seen = [];
            document.addEventListener('securitypolicyviolation',
                e => seen.push(e.effectiveDirective));
            const script = document.createElement('script');
            script.textContent = 'window.inlineRan = true';
            document.body.append(script);
            const box = document.createElement('div');
            box.innerHTML = '<img alt="" onload="window.handlerRan = true" '
                + 'onerror="window.handlerRan = true" src="data:image/gif;base64,'
                + 'R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7">';
            document.body.append(box);
            const link = document.createElement('a');
            link.href = 'javascript:window.linkRan = true';
            document.body.append(link);
            link.click();
            await new Promise(r => setTimeout(r, 500));
            return {
                inline: window.inlineRan === true,
                handler: window.handlerRan === true,
                link: window.linkRan === true,
                seen,
            };
        }"""
    )

    assert (found["inline"], found["handler"], found["link"]) == (False, False, False), found
    assert {"script-src-elem", "script-src-attr"} <= set(found["seen"]), found
    assert len(found["seen"]) >= 3, found


def test_the_api_docs_and_the_admin_work_under_their_policy(
    new_context: Callable[..., BrowserContext], database_url: str
) -> None:
    # DEBUG serves the docs' and the admin's static files straight from the packages.
    with app_server(db_url=database_url, workers=1, env={"DJANGO_DEBUG": "1"}) as server:
        docs = new_context().new_page()
        seen = watch_policy(docs)
        response = docs.goto(f"{server.url}/api/docs/")
        assert response is not None
        assert "script-src 'self'" in response.headers["content-security-policy"]
        expect(docs.locator(".swagger-ui .title")).to_contain_text("chatbot API")
        expect(docs.locator(".opblock").first).to_be_visible()

        admin = new_context().new_page()
        seen += watch_policy(admin)
        admin.goto(f"{server.url}/admin/login/")
        expect(admin.get_by_label("Email")).to_be_visible()
        admin.get_by_label("Email").fill("nobody@example.com")
        admin.get_by_label("Password").fill("not a password")
        admin.get_by_role("button", name="Log in").click()
        expect(admin.locator(".errornote")).to_be_visible()

    assert seen == []
