"""Mails rendered in the member's language and delivered by one background thread per process,
so no request waits for the mail server (and a request's time says nothing about whether a mail
went out). A delivery that fails is tried again, then logged, never with the link."""

import logging
import queue
import threading
import time
from dataclasses import dataclass
from html import escape

from django.core.mail import EmailMultiAlternatives, get_connection

from application.ports import Mail, Mailer, TokenPurpose

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Text:
    subject: str
    greeting: str
    lead: str
    button: str
    ignore: str


_TEXTS: dict[tuple[TokenPurpose, str], _Text] = {
    (TokenPurpose.VERIFY_EMAIL, "en"): _Text(
        subject="Confirm your email address",
        greeting="Hello {nickname},",
        lead="Open this link to confirm that this address is yours (it works for 48 hours):",
        button="Confirm my email",
        ignore="If you did not sign up, ignore this mail.",
    ),
    (TokenPurpose.VERIFY_EMAIL, "ko"): _Text(
        subject="이메일 주소를 확인해 주세요",
        greeting="{nickname}님, 안녕하세요.",
        lead="아래 링크를 열어 이 주소가 본인의 것임을 확인해 주세요 (48시간 동안 유효합니다):",
        button="이메일 확인하기",
        ignore="가입하지 않으셨다면 이 메일을 무시하세요.",
    ),
    (TokenPurpose.RESET_PASSWORD, "en"): _Text(
        subject="Reset your password",
        greeting="Hello {nickname},",
        lead="Open this link to choose a new password (it works for 1 hour, once):",
        button="Choose a new password",
        ignore="If you did not ask for this, ignore this mail: your password stays as it is.",
    ),
    (TokenPurpose.RESET_PASSWORD, "ko"): _Text(
        subject="비밀번호를 재설정하세요",
        greeting="{nickname}님, 안녕하세요.",
        lead="아래 링크를 열어 새 비밀번호를 정하세요 (1시간 동안 한 번 쓸 수 있습니다):",
        button="새 비밀번호 정하기",
        ignore="요청하지 않으셨다면 이 메일을 무시하세요. 비밀번호는 바뀌지 않습니다.",
    ),
}


def render(mail: Mail) -> EmailMultiAlternatives:
    text = _TEXTS[(mail.kind, mail.language if mail.language == "ko" else "en")]
    greeting = text.greeting.format(nickname=mail.nickname)
    plain = f"{greeting}\n\n{text.lead}\n\n{mail.link}\n\n{text.ignore}\n"
    html = (
        f'<!doctype html><html lang="{mail.language}"><body>'
        f"<p>{escape(greeting)}</p><p>{escape(text.lead)}</p>"
        f'<p><a href="{escape(mail.link)}">{escape(text.button)}</a></p>'
        f"<p>{escape(text.ignore)}</p></body></html>"
    )
    message = EmailMultiAlternatives(
        subject=text.subject,
        body=plain,
        to=[mail.to],
        headers={"Content-Language": mail.language},
        # The connection as the settings are now (tests point them at a local server).
        connection=get_connection(fail_silently=False),
    )
    message.attach_alternative(html, "text/html")
    return message


class DjangoMailer(Mailer):
    def __init__(self, attempts: int = 3, backoff_s: float = 2.0) -> None:
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._queue: queue.Queue[tuple[Mail, EmailMultiAlternatives]] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()

    def send(self, mail: Mail) -> None:
        message = render(mail)
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._deliver, name="mailer", daemon=True)
                self._worker.start()
        self._queue.put((mail, message))

    def flush(self) -> None:
        """Wait until every mail handed over so far is delivered or given up on."""
        self._queue.join()

    def _deliver(self) -> None:
        while True:
            mail, message = self._queue.get()
            try:
                self._try(mail, message)
            finally:
                self._queue.task_done()

    def _try(self, mail: Mail, message: EmailMultiAlternatives) -> None:
        for attempt in range(1, self._attempts + 1):
            try:
                message.send()
            except Exception as error:  # any failure: refused, DNS, TLS, a timeout
                # The error's type only: an SMTP reply may quote the message, link and all.
                failure = type(error).__name__
            else:
                return
            if attempt < self._attempts:
                time.sleep(self._backoff_s * attempt)
        log.error(
            "mail not sent: %s to member %s after %d attempts (%s)",
            mail.kind.value,
            mail.nickname,
            self._attempts,
            failure,
        )
