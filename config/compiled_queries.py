"""Querysets compiled to SQL once per process, then run with new values.

Turning a queryset into SQL costs the ORM about half a millisecond of
Python for a plain one and over a millisecond with joins, annotations or
deferred fields; the account page asks twenty such queries, which differ
from one request to the next only in the account's id. Here a page's
query is built once with stand-in values, compiled, and the positions of
the stand-ins among the SQL parameters are kept; later calls put the
request's values at those positions and skip building and compiling.

Only queries whose SQL depends on nothing but the values passed may be
run this way: no clock, no setting, no user-dependent filter that is not
among the values. With settings.COMPILED_QUERIES_CHECKED (the tests set
it) every call builds and compiles the query too and refuses to run when
the kept SQL or parameters differ, so a query that breaks the rule fails
its tests.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import QuerySet
from django.db.models.sql.query import Query

Value = int | str

# Stand-ins no id or code takes: far below any serial id, and strings with
# a NUL, which no stored code holds.
_STAND_IN_INT = -(2**62)
_stand_ins = itertools.count()


class CompiledQueryMismatch(AssertionError):
    """A kept query's SQL or parameters differ from a fresh compile."""


@dataclass(frozen=True)
class _Compiled:
    queryset: QuerySet[Any]
    sql: str
    params: tuple[Any, ...]
    # Which value goes at which parameter position.
    slots: tuple[tuple[int, str], ...]
    # What compiling set on the compiler, which reading the rows needs:
    # the selected columns, how they map onto models, the column count.
    state: dict[str, Any]


_compiled: dict[tuple[str, str, str], _Compiled] = {}


class _PrecompiledQuery(Query):
    """A query whose compiler answers with kept SQL instead of compiling."""

    precompiled: tuple[_Compiled, tuple[Any, ...]]

    def get_compiler(self, using=None, connection=None, elide_empty=True):  # type: ignore[no-untyped-def]
        compiler = super().get_compiler(using, connection, elide_empty)
        kept, params = self.precompiled
        compiler.__dict__.update(kept.state)
        compiler.as_sql = lambda *args, **kwargs: (kept.sql, params)  # type: ignore[method-assign]
        return compiler


def _stand_in(value: Value) -> Value:
    number = next(_stand_ins)
    if isinstance(value, str):
        return f"\x00stand-in {number}\x00"
    return _STAND_IN_INT - number


def _compile(
    build: Callable[..., QuerySet[Any]], using: str, values: dict[str, Value]
) -> _Compiled:
    stand_ins = {name: _stand_in(value) for name, value in values.items()}
    queryset = build(**stand_ins)
    compiler = queryset.query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    names = {stand_in: name for name, stand_in in stand_ins.items()}
    slots = tuple(
        (position, names[param])
        for position, param in enumerate(params)
        if isinstance(param, int | str) and param in names
    )
    missing = set(values) - {name for _, name in slots}
    if missing:
        raise CompiledQueryMismatch(
            f"{', '.join(sorted(missing))} did not reach the SQL as parameters"
        )
    state = {
        name: value
        for name, value in vars(compiler).items()
        if name not in {"query", "connection", "using", "elide_empty"}
    }
    queryset.query.__class__ = _PrecompiledQuery
    return _Compiled(
        queryset=queryset, sql=sql, params=tuple(params), slots=slots, state=state
    )


def queryset_rows(
    key: str,
    build: Callable[..., QuerySet[Any]],
    *,
    using: str = "default",
    **values: Value,
) -> list[Any]:
    """Return the rows of build(**values), compiled once per process.

    `key` names the query; `build` must give SQL that depends only on
    `values` (ints or strings). Related rows it prefetches are read as
    usual. The rows come back as a list, so the queryset cannot be chained
    after its SQL is fixed.
    """
    connection = connections[using]
    slot = (key, connection.vendor, using)
    kept = _compiled.get(slot)
    if kept is None:
        kept = _compile(build, using, values)
        _compiled[slot] = kept
    params = list(kept.params)
    for position, name in kept.slots:
        params[position] = values[name]
    if getattr(settings, "COMPILED_QUERIES_CHECKED", False):
        fresh = build(**values).query.get_compiler(using=using).as_sql()
        if fresh != (kept.sql, tuple(params)):
            raise CompiledQueryMismatch(
                f"{key}: the kept SQL differs from a fresh compile: "
                f"{fresh!r} != {(kept.sql, tuple(params))!r}"
            )
    queryset = kept.queryset.all()
    queryset.query.precompiled = (kept, tuple(params))  # type: ignore[attr-defined]
    return list(queryset)
