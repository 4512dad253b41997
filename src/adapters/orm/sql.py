"""Hand-written statements for the few reads and writes every chat request and chat page makes.

Writes: the ORM would send each of them as several statements inside BEGIN … COMMIT; on
PostgreSQL one statement with data-modifying CTEs does the same work atomically in one round
trip, which is most of a chat request's database time. Values go through each field's own
conversion, so they are stored exactly as the ORM would store them.

Reads: the ORM spends more CPU building a query than PostgreSQL spends running it (a chat page's
four queries took 3.6 ms to build and convert, 0.2 ms to run). The statements here are written
once; their values are converted by the same converters the ORM applies (`select`).

On PostgreSQL the statements that `cursor()` runs are prepared once per connection and reused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

import psycopg
from django.db import connection
from django.db.models import Field, Model
from psycopg.types.datetime import TimestamptzLoader

# A converter as Django's backends and fields define them: (value, expression, connection).
_Converter = Callable[[Any, Any, Any], Any]


def cursor() -> Any:
    """A cursor for the statements written here, as `connection.cursor()` would give, except on
    PostgreSQL:

    - Its parameters are bound on the server, and psycopg prepares each statement on its
      connection the first time it runs (prepare_threshold 0 in the settings): PostgreSQL skips
      parsing and planning it on every later run, which took its CPU for a new chat's three
      statements from 0.91 to 0.36 ms and their time from 1.6 to 1.0 ms (docs/benchmarks.md).
      The ORM keeps Django's client-side binding, which not all of its SQL survives (Django
      #20516) and which never prepares. A value the best plan depends on belongs in the
      statement's text (a LIMIT), or the statement is not for this cursor (see `select`): a
      prepared statement is planned for any value after its first few runs.
    - Timestamps are read by psycopg's C loader rather than Django's Python one (8 µs each, 0.3
      ms for a feed page); they come in UTC all the same, as zoneinfo's rather than datetime's.
    """
    # Where Django records every query (DEBUG, tests counting them), its own cursor, whose
    # record shows the values: the statements are the same, only bound on the client.
    if connection.vendor != "postgresql" or connection.queries_logged:
        return connection.cursor()
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    raw.adapters.register_loader("timestamptz", TimestamptzLoader)
    # django-stubs types the argument as Django's CursorWrapper; Django wraps the driver's cursor.
    return connection.make_cursor(raw)  # type: ignore[arg-type]


@cache
def _converters(fields: tuple[Field[Any, Any] | None, ...]) -> tuple[list[_Converter], ...]:
    # What SQLCompiler.get_converters finds for a column of each field: the backend's, then the
    # field's own (from_db_value). The same for every statement of this process's database.
    found: list[list[_Converter]] = []
    for field in fields:
        if field is None:
            found.append([])
            continue
        found.append(
            [
                *connection.ops.get_db_converters(field.cached_col),
                *field.get_db_converters(connection),
            ]
        )
    return tuple(found)


def select(
    statement: str,
    params: Sequence[Any],
    fields: tuple[Field[Any, Any] | None, ...],
    *,
    prepare: bool = True,
) -> list[tuple[Any, ...]]:
    """The rows of `statement`, each column's value converted as the ORM would for the model
    field in the same place of `fields` (None: a value taken as the database returns it).
    `prepare=False`: planned for its values every time, never prepared."""
    with cursor() as c:
        if prepare or type(c.cursor) is not psycopg.Cursor:
            c.execute(statement, params)
        else:
            # Still bound on the server and read with the C loaders (Django's own cursor
            # binds on the client and loads timestamps in Python: 1.5 ms of a search page).
            c.cursor.execute(statement, params, prepare=False)
        rows = c.fetchall()
    return convert(rows, fields)


def convert(
    rows: list[tuple[Any, ...]], fields: tuple[Field[Any, Any] | None, ...]
) -> list[tuple[Any, ...]]:
    """`rows` with each value converted for the model field in its place (see `select`)."""
    converters = _converters(fields)
    steps = [
        (i, cs, field)
        for i, (cs, field) in enumerate(zip(converters, fields, strict=True))
        if cs and field is not None
    ]
    if not steps:
        return rows
    out = []
    for row in rows:
        values = list(row)
        for i, cs, field in steps:
            expression = field.cached_col
            for convert_one in cs:
                values[i] = convert_one(values[i], expression, connection)
        out.append(tuple(values))
    return out


@cache
def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@cache
def column(model: type[Model], name: str) -> str:
    return connection.ops.quote_name(column_name(model, name))


def columns(model: type[Model], names: Sequence[str], alias: str | None = None) -> str:
    """`a, b, c` (with `alias.` before each when given)."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + column(model, n) for n in names)


def field(model: type[Model], name: str) -> Field[Any, Any]:
    """The model's field `name`; the statements here name columns, never reverse relations."""
    found = model._meta.get_field(name)
    if not isinstance(found, Field):
        raise TypeError(f"{model.__name__}.{name} is a reverse relation, not a column")
    return found


def column_name(model: type[Model], name: str) -> str:
    """The (unquoted) column of the model's field `name`."""
    found = field(model, name).column
    if found is None:
        raise TypeError(f"{model.__name__}.{name} has no column of its own")
    return found


def fields(model: type[Model], names: Sequence[str]) -> tuple[Field[Any, Any], ...]:
    return tuple(field(model, n) for n in names)


def prepared(model: type[Model], values: Mapping[str, Any]) -> list[Any]:
    return [
        field(model, name).get_db_prep_save(value, connection) for name, value in values.items()
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
    statement = _insert(model, tuple(rows[0]), tuple(raw.items()), len(rows))
    return statement, [p for row in rows for p in prepared(model, row)]


@cache
def _insert(
    model: type[Model], names: tuple[str, ...], raw: tuple[tuple[str, str], ...], rows: int
) -> str:
    one = "(" + ", ".join([*(expression for _, expression in raw), *["%s"] * len(names)]) + ")"
    return (
        f"INSERT INTO {table(model)} ({columns(model, [n for n, _ in raw] + list(names))}) "
        f"VALUES {', '.join([one] * rows)}"
    )


def insert_from(
    model: type[Model], values: Mapping[str, Any], source: str
) -> tuple[str, list[Any]]:
    """`INSERT INTO … (…) SELECT … FROM source`: a row only when `source` has one. The values are
    cast to their columns' types, which PostgreSQL would not infer in a SELECT list."""
    return _insert_from(model, tuple(values), source), prepared(model, values)


@cache
def _insert_from(model: type[Model], names: tuple[str, ...], source: str) -> str:
    casts = ", ".join(f"CAST(%s AS {_db_type(model, n)})" for n in names)
    return f"INSERT INTO {table(model)} ({columns(model, names)}) SELECT {casts} FROM {source}"


def insert_rows_from(
    model: type[Model],
    rows: Sequence[Mapping[str, Any]],
    source: str,
    *,
    raw: Mapping[str, str] | None = None,
) -> tuple[str, list[Any]]:
    """`INSERT INTO … (…) SELECT … FROM source CROSS JOIN (VALUES …)`: `rows` (converted, cast
    to their columns' types) and `raw` (SQL expressions over `source`), stored only when `source`
    has a row."""
    raw = raw or {}
    statement = _insert_rows_from(model, tuple(rows[0]), tuple(raw.items()), len(rows), source)
    return statement, [p for row in rows for p in prepared(model, row)]


@cache
def _insert_rows_from(
    model: type[Model],
    names: tuple[str, ...],
    raw: tuple[tuple[str, str], ...],
    rows: int,
    source: str,
) -> str:
    one = "(" + ", ".join(f"CAST(%s AS {_db_type(model, n)})" for n in names) + ")"
    picked = [expression for _, expression in raw] + [f"v.{column(model, n)}" for n in names]
    return (
        f"INSERT INTO {table(model)} ({columns(model, [n for n, _ in raw] + list(names))}) "
        f"SELECT {', '.join(picked)} FROM {source} "
        f"CROSS JOIN (VALUES {', '.join([one] * rows)}) AS v ({columns(model, names)})"
    )


def _db_type(model: type[Model], name: str) -> str:
    return str(model._meta.get_field(name).db_type(connection))


def assignments(model: type[Model], values: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """`a = %s, b = %s` for an UPDATE."""
    return _assignments(model, tuple(values)), prepared(model, values)


@cache
def _assignments(model: type[Model], names: tuple[str, ...]) -> str:
    return ", ".join(f"{column(model, n)} = %s" for n in names)


def one_statement() -> bool:
    """Whether several writes can go as one statement (PostgreSQL's data-modifying CTEs)."""
    return connection.vendor == "postgresql"
