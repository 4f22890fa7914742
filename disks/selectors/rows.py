"""Model instances from hand-written SQL, and the audience flags that ride along with a user.

The reads every request makes (the signed-in user, an API call's token) are written once
per process from the models' metadata, not compiled by the ORM each time, and bring the
user's audience groups in the same row: one round trip where there were two
(docs/benchmarks.md, figures 1 and 1b). The values still pass through the ORM's own
converters, so an instance is what the ORM would have built.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connections, router

from disks.access import AUDIENCES, audiences_with_superuser


def model_columns_sql(database: str, model, alias: str) -> list[str]:
    """`alias."column"` for each concrete field of `model`, in field order."""
    quote = connections[database].ops.quote_name
    return [f"{alias}.{quote(field.column)}" for field in _fields(model)]


def audience_flags_sql(database: str, user_pk_sql: str) -> list[str]:
    """One `EXISTS (...)` per audience (in AUDIENCES order), each taking its name as a param."""
    quote = connections[database].ops.quote_name
    membership_meta, group_meta = get_user_model().groups.through._meta, Group._meta
    member_user = quote(membership_meta.get_field("user").column or "")
    member_group = quote(membership_meta.get_field("group").column or "")
    group_pk = quote(group_meta.pk.column or "")
    return [
        f"EXISTS (SELECT 1 FROM {quote(membership_meta.db_table)} m"  # noqa: S608
        f" JOIN {quote(group_meta.db_table)} g ON g.{group_pk} = m.{member_group}"
        f" WHERE m.{member_user} = {user_pk_sql} AND g.{quote('name')} = %s)"
        for _audience in AUDIENCES
    ]


def model_from_row(database: str, model, values: Iterator[Any]):
    """The instance of `model` made of the next of `values`, converted as the ORM would.

    (On SQLite a datetime column arrives as text and a boolean as 0 or 1; the backend's and
    the field's converters make them what the field holds.)
    """
    connection = connections[database]
    fields = _fields(model)
    converted = []
    for field, converters in zip(fields, _converters(database, model), strict=True):
        value = next(values)
        for converter in converters:
            value = converter(value, field.get_col(model._meta.db_table), connection)
        converted.append(value)
    return model.from_db(database, [field.attname for field in fields], converted)


def user_from_row(database: str, values: Iterator[Any]):
    """The user made of the next of `values`, then its audience flags: `_audiences` set."""
    user = model_from_row(database, get_user_model(), values)
    groups = {audience for audience in AUDIENCES if next(values)}
    user._audiences = audiences_with_superuser(user, groups)
    return user


def _fields(model) -> list:
    return list(model._meta.concrete_fields)


@cache
def _converters(database: str, model) -> list[list]:
    """Per field, the backend's and the field's own value converters (SQLCompiler's)."""
    connection = connections[database]
    result = []
    for field in _fields(model):
        column = field.get_col(model._meta.db_table)
        result.append(
            connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        )
    return result


def user_with_audiences(pk: Any):
    """The user with this primary key, its audiences known (`_audiences`); None if none.

    What the session's sign-in reads on every page and poll, with what every page then asks
    (which audiences the user has) in the same row.
    """
    user_model = get_user_model()
    database = router.db_for_read(user_model)
    try:
        pk = user_model._meta.pk.to_python(pk)
    except ValidationError:
        return None
    with connections[database].cursor() as cursor:
        cursor.execute(_user_sql(database), [*AUDIENCES, pk])
        row = cursor.fetchone()
    return None if row is None else user_from_row(database, iter(row))


@cache
def _user_sql(database: str) -> str:
    quote = connections[database].ops.quote_name
    user_meta = get_user_model()._meta
    user_pk = f"u.{quote(user_meta.pk.column or '')}"
    selected = [
        *model_columns_sql(database, get_user_model(), "u"),
        *audience_flags_sql(database, user_pk),
    ]
    return (
        f"SELECT {', '.join(selected)} FROM {quote(user_meta.db_table)} u"  # noqa: S608
        f" WHERE {user_pk} = %s"
    )
