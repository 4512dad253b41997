"""Fill the database with members, chats and turns for benchmarks and load tests.

    python manage.py seed_data --chats 1000000 --turns-per-chat 5 --members 10000

Rows are generated from a seeded random source (the same arguments give the same rows) and
written with COPY on PostgreSQL, a chunk of chats per transaction so the deferred foreign-key
checks stay bounded; other databases get bulk_create. A database that already holds chats is
refused unless --append (the new rows then follow the existing ids).

It lives in the ORM adapter because it writes that app's tables directly, column by column;
nothing else in the project needs to know their layout.
"""

import json
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max, Model

from adapters.orm import sql
from adapters.orm.models import Chat, ChatSearch, Choice, Member, Prompt, Turn, terms_literal
from domain.member import nickname_key
from domain.search import index_terms, normalize

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
MODEL = "gpt-4o-mini"
SYSTEM = (
    "You are a career coach. Ask one question at a time, be concrete, and keep each answer "
    "under three short paragraphs. Answer in the language the member writes in."
)
PROFILE = "The member: born {year}, works as {job}."
STATES = [
    "I write Python at a small startup and mostly fix bugs.",
    "대학교 3학년이고 데이터 분석을 공부하고 있어요.",
    "I have been a QA engineer for four years and feel stuck.",
    "프론트엔드 개발자로 2년째 일하고 있습니다.",
    "I manage a team of three designers at an agency.",
    "I am a nurse thinking about moving into health data.",
    "주니어 개발자예요. 백엔드 개발자가 된 지 1년이 지났어요.",
    "회사에서 마케팅 업무를 5년째 하고 있어요.",
    "I am a junior developer on a mobile team.",
    "고등학교 수학 교사로 일하고 있습니다.",
]
GOALS = [
    "Lead a team in two years.",
    "백엔드 개발자로 이직하고 싶어요.",
    "Ship my own product on the side.",
    "Pass the senior engineer interview at a large company.",
    "데이터 엔지니어가 되는 것이 목표입니다.",
    "팀장이 되고 싶어요.",
    "Become an engineering manager.",
    "프로덕트 매니저로 커리어를 바꾸고 싶어요.",
]
MISC = [
    "I can study two hours a day.",
    "주말에만 시간이 있어요.",
    "",
    "I prefer reading to videos.",
]
QUESTIONS = {
    "current_state": "Where are you now in your career?",
    "goal": "Where do you want to be?",
    "misc": "Anything else the coach should know?",
}
FOLLOW_UPS = [
    "What should I learn first?",
    "How do I show this on my CV?",
    "그럼 이번 달에는 무엇부터 하면 좋을까요?",
    "Which project would prove it?",
    "How long will that take, realistically?",
    "면접에서는 어떤 질문이 나올까요?",
]
PARAGRAPHS = [
    "Start with the work you already do: pick one recurring problem at your job and own it "
    "end to end, from the ticket to the metric that shows it is fixed.",
    "Write down what you learn each week in a short note. After a month you will have a record "
    "of decisions you can talk about in an interview, which matters more than certificates.",
    "먼저 지금 하는 일에서 반복되는 문제 하나를 골라 끝까지 책임져 보세요. 결과를 숫자로 보여줄 수 "
    "있으면 더 좋습니다.",
    "A realistic plan is twelve weeks: four on fundamentals, four on one project that uses them, "
    "and four on sharing it - a write-up, a talk at work, or an open-source contribution.",
    "- Read one chapter a week\n- Build the smallest version first\n- Ask for review early",
    "다음 단계로는 작은 프로젝트를 하나 만들어 공개하는 것을 추천합니다. 완벽할 필요는 없습니다.",
]
# Interests added to the last intake answer, most chats one of the first few (a Zipf-like
# spread), so that searches have common, middling and rare words in both languages.
INTERESTS = [
    "요즘 파이썬을 공부해요.", "I am learning SQL.", "영어 회화를 연습하고 있어요.",
    "I read about system design.", "독서 모임에 나가요.", "I want to try public speaking.",
    "디자인 시스템에 관심이 있어요.", "I contribute to open source.", "리더십 책을 읽고 있어요.",
    "I am studying statistics.", "쿠버네티스를 배우고 싶어요.", "I play chess in the evenings.",
    "사진 찍는 것을 좋아해요.", "I volunteer at a coding bootcamp.", "블록체인은 잘 몰라요.",
    "I am curious about compilers.", "양자컴퓨팅 강의를 들었어요.", "I keep bees on the weekend.",
]  # fmt: skip
NAMES = ["mina", "jun", "sora", "alex", "hyun", "lee", "park", "kim", "yuna", "sam"]
JOBS = ["developer", "designer", "student", "nurse", "analyst", "teacher"]


@dataclass(frozen=True, slots=True)
class Plan:
    members: int
    chats: int
    turns_per_chat: int
    seed: int
    chunk: int


COLUMNS: dict[type[Model], tuple[str, ...]] = {
    Member: ("id", "email", "email_verified", "nickname", "nickname_key", "password",
             "born_year", "job", "is_active", "is_staff", "is_superuser", "date_joined"),
    Chat: ("id", "member_id", "title", "created_at", "updated_at", "turn_count", "model"),
    Prompt: ("chat_id", "position", "kind", "question", "answer"),
    Turn: ("id", "chat_id", "index", "content", "status", "created_at", "answered_at",
           "stop_requested", "model", "temperature", "max_tokens", "stream", "messages",
           "private_messages", "response_id", "response_created", "response_model",
           "prompt_tokens", "completion_tokens", "total_tokens"),
    Choice: ("turn_id", "index", "role", "content", "finish_reason"),
    ChatSearch: ("chat_id", "head", "body", "from_text", "to_text", "head_terms", "body_terms"),
}  # fmt: skip


JSON_COLUMNS = {"messages", "private_messages"}


def search_row(
    chat_id: int, head: list[str], body: list[str], state: str, goal: str
) -> tuple[Any, ...]:
    """A chat's search row as adapters/orm/indexing.py writes it, from the texts of its head
    and of its body (a few hundred distinct texts in all: each normalized and split once)."""
    vector = connection.vendor == "postgresql"

    def terms(parts: list[str]) -> str:
        return terms_literal(list(dict.fromkeys(t for p in parts for t in _terms(p))))

    return (
        chat_id, "\n".join(map(_normalized, head)), "\n".join(map(_normalized, body)),
        _normalized(state), _normalized(goal),
        terms(head) if vector else "", terms(body) if vector else "",
    )  # fmt: skip


@cache
def _normalized(text: str) -> str:
    return normalize(text)


@cache
def _terms(text: str) -> tuple[str, ...]:
    return tuple(index_terms(text))


class Rows:
    """The rows of a plan, chunk by chunk; ids follow the ones already in the database."""

    def __init__(self, plan: Plan, first_member: int, first_chat: int, first_turn: int) -> None:
        self.plan = plan
        self.first_member, self.first_chat, self.first_turn = first_member, first_chat, first_turn

    def members(self) -> Iterator[tuple[Any, ...]]:
        rng = random.Random(self.plan.seed)  # noqa: S311 - test data, not secrets
        for i in range(self.plan.members):
            pk = self.first_member + i
            nickname = f"{rng.choice(NAMES)}{pk}"
            yield (
                pk, f"seed{pk}@example.invalid", False, nickname, nickname_key(nickname),
                "!unusable",
                rng.randint(1960, 2005), rng.choice(JOBS), True, False, False,
                EPOCH + timedelta(seconds=i),
            )  # fmt: skip

    def chunks(self) -> Iterator[dict[type[Model], list[tuple[Any, ...]]]]:
        plan = self.plan
        for start in range(0, plan.chats, plan.chunk):
            rng = random.Random(f"{plan.seed}:{start}")  # noqa: S311
            tables: dict[type[Model], list[tuple[Any, ...]]] = {
                m: [] for m in COLUMNS if m is not Member
            }
            for n in range(start, min(start + plan.chunk, plan.chats)):
                self._chat(rng, n, tables)
            yield tables

    def _chat(
        self, rng: random.Random, n: int, out: dict[type[Model], list[tuple[Any, ...]]]
    ) -> None:
        plan = self.plan
        chat_id = self.first_chat + n
        # One member in ten has most of the chats, as on a real service (and the "my chats"
        # benchmark wants a member with many).
        if rng.random() < 0.5:
            member = self.first_member + rng.randrange(max(1, plan.members // 10))
        else:
            member = self.first_member + rng.randrange(plan.members)
        created = EPOCH + timedelta(seconds=30 * n)
        state, goal, misc = rng.choice(STATES), rng.choice(GOALS), rng.choice(MISC)
        # The k-th interest (from 1) in 1/k² - 1/(k+1)² of the chats: half have the first,
        # 1 in 3,000 the last; the other 5% none.
        k = int(1 / (1 - rng.random()) ** 0.5)
        interest = INTERESTS[k - 1] if k <= len(INTERESTS) else ""
        misc = f"{misc} {interest}".strip()
        prompts = [("current_state", state), ("goal", goal)] + ([("misc", misc)] if misc else [])
        for position, (kind, answer) in enumerate(prompts):
            out[Prompt].append((chat_id, position, kind, QUESTIONS[kind], answer))
        intake = "\n".join(f"{QUESTIONS[k]} {a}" for k, a in prompts)
        profile = PROFILE.format(year=rng.randint(1960, 2005), job=rng.choice(JOBS))
        history: list[dict[str, str]] = []
        at = created
        for index in range(plan.turns_per_chat):
            turn_id = self.first_turn + n * plan.turns_per_chat + index
            content = intake if index == 0 else rng.choice(FOLLOW_UPS)
            messages = [
                {"role": "system", "content": SYSTEM},
                {"role": "system", "content": profile},
                *history[-4:],
                {"role": "user", "content": content},
            ]
            answer = "\n\n".join(rng.sample(PARAGRAPHS, rng.randint(1, 3)))
            answered = at + timedelta(seconds=rng.randint(2, 20))
            prompt_tokens = sum(len(m["content"]) for m in messages) // 3
            completion_tokens = len(answer) // 3
            out[Turn].append((
                turn_id, chat_id, index, content, "completed", at, answered, False, MODEL, 0.7,
                1024, False, json.dumps(messages, ensure_ascii=False), "[1]",
                f"chatcmpl-seed{turn_id}", int(answered.timestamp()), MODEL, prompt_tokens,
                completion_tokens, prompt_tokens + completion_tokens,
            ))  # fmt: skip
            out[Choice].append((turn_id, 0, "assistant", answer, "stop"))
            history += [
                {"role": "user", "content": content},
                {"role": "assistant", "content": answer},
            ]
            at = answered + timedelta(seconds=rng.randint(10, 300))
        title = state if len(state) <= 80 else state[:79] + "…"
        updated = at if plan.turns_per_chat else created
        out[Chat].append((chat_id, member, title, created, updated, plan.turns_per_chat, MODEL))
        head = [title, *(a for _, a in prompts)]
        body = list(head)
        if turns := plan.turns_per_chat:
            for turn, choice in zip(out[Turn][-turns:], out[Choice][-turns:], strict=True):
                body += [turn[3], choice[3]]
        out[ChatSearch].append(search_row(chat_id, head, body, state, goal))


class Command(BaseCommand):
    help = "Fill the database with generated members, chats and turns (COPY on PostgreSQL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chats", type=int, default=10_000)
        parser.add_argument("--turns-per-chat", type=int, default=5)
        parser.add_argument("--members", type=int, default=1_000)
        parser.add_argument("--seed", type=int, default=7, help="the same seed, the same rows")
        parser.add_argument("--chunk", type=int, default=20_000, help="chats per transaction")
        parser.add_argument(
            "--append", action="store_true", help="add to a database that already holds chats"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        plan = Plan(
            members=options["members"],
            chats=options["chats"],
            turns_per_chat=options["turns_per_chat"],
            seed=options["seed"],
            chunk=max(1, options["chunk"]),
        )
        if plan.members < 1 or plan.chats < 0 or plan.turns_per_chat < 0:
            raise CommandError("Need at least one member, and no negative counts.")
        if Chat.objects.exists() and not options["append"]:
            raise CommandError("The database already holds chats; pass --append to add more.")
        rows = Rows(plan, *(_next_id(m) for m in (Member, Chat, Turn)))
        write = _copy if connection.vendor == "postgresql" else _bulk_create
        started = time.monotonic()
        counts = dict.fromkeys(COLUMNS, 0)
        with transaction.atomic():
            counts[Member] += write(Member, list(rows.members()))
        for tables in rows.chunks():
            with transaction.atomic():
                _skip_foreign_key_checks()
                for model in (Chat, Prompt, Turn, Choice, ChatSearch):
                    counts[model] += write(model, tables[model])
            done = sum(counts.values())
            self.stderr.write(
                f"  {counts[Chat]:>9} chats, {done / (time.monotonic() - started):,.0f} rows/s"
            )
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), list(COLUMNS)):
                cursor.execute(statement)
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE")
        elapsed = time.monotonic() - started
        total = sum(counts.values())
        summary = ", ".join(f"{n} {m._meta.verbose_name_plural}" for m, n in counts.items())
        self.stdout.write(
            f"{summary}: {total} rows in {elapsed:.1f} s ({total / elapsed:,.0f} rows/s)"
        )


def _skip_foreign_key_checks() -> None:
    """The rows are consistent by construction; checking every reference row by row would take
    most of the load's time. Only a superuser may, so anyone else gets the checks."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")


def _next_id(model: type[Model]) -> int:
    return int(model._default_manager.aggregate(top=Max("id"))["top"] or 0) + 1


def _columns(model: type[Model]) -> list[str]:
    return [sql.column_name(model, name) for name in COLUMNS[model]]


def _copy(model: type[Model], rows: Sequence[tuple[Any, ...]]) -> int:
    names = ", ".join(connection.ops.quote_name(c) for c in _columns(model))
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy(
            f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
    return len(rows)


def _bulk_create(model: type[Model], rows: Sequence[tuple[Any, ...]]) -> int:
    names = COLUMNS[model]
    objects = []
    for row in rows:
        values = dict(zip(names, row, strict=True))
        for name in JSON_COLUMNS & values.keys():
            values[name] = json.loads(values[name])
        objects.append(model(**values))
    model._default_manager.bulk_create(objects, batch_size=500)
    return len(rows)
