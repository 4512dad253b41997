"""Hand-written statements for the few writes every chat request makes.

The ORM would send each of them as several statements inside BEGIN … COMMIT; on PostgreSQL one
statement with data-modifying CTEs does the same work atomically in one round trip, which is
most of a chat request's database time. Values go through each field's own conversion, so they
are stored exactly as the ORM would store them.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection
from django.db.models import Model


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[Model], name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def prepared(model: type[Model], values: Mapping[str, Any]) -> list[Any]:
    return [
        model._meta.get_field(name).get_db_prep_save(value, connection)
        for name, value in values.items()
    ]


def insert_row(
    model: type[Model], values: Mapping[str, Any], *, raw: Mapping[str, str] | None = None
) -> tuple[str, list[Any]]:
    """`INSERT INTO … (…) VALUES (…)` for `values` (converted) and `raw` (SQL expressions)."""
    return insert_rows(model, [values], raw=raw)


def insert_rows(
    model: type[Model],
    rows: Sequence[Mapping[str, Any]],
    *,
    raw: Mapping[str, str] | None = None,
) -> tuple[str, list[Any]]:
    raw = raw or {}
    names = [*raw, *rows[0]]
    one = "(" + ", ".join([*raw.values(), *["%s"] * len(rows[0])]) + ")"
    params = [p for row in rows for p in prepared(model, row)]
    sql = (
        f"INSERT INTO {table(model)} ({', '.join(column(model, n) for n in names)}) "
        f"VALUES {', '.join([one] * len(rows))}"
    )
    return sql, params


def insert_from(
    model: type[Model], values: Mapping[str, Any], source: str
) -> tuple[str, list[Any]]:
    """`INSERT INTO … (…) SELECT … FROM source`: a row only when `source` has one. The values are
    cast to their columns' types, which PostgreSQL would not infer in a SELECT list."""
    casts = ", ".join(f"CAST(%s AS {model._meta.get_field(n).db_type(connection)})" for n in values)
    sql = (
        f"INSERT INTO {table(model)} ({', '.join(column(model, n) for n in values)}) "
        f"SELECT {casts} FROM {source}"
    )
    return sql, prepared(model, values)


def assignments(model: type[Model], values: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """`a = %s, b = %s` for an UPDATE."""
    return ", ".join(f"{column(model, n)} = %s" for n in values), prepared(model, values)


def one_statement() -> bool:
    """Whether several writes can go as one statement (PostgreSQL's data-modifying CTEs)."""
    return connection.vendor == "postgresql"
