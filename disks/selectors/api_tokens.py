"""The API token a bearer secret names, with its owner and the owner's audiences: one query.

Every API call starts here, so the statement is written once per process (as
disks.access writes the audience lookup) rather than compiled by the ORM on each call,
and the owner's audience groups come in the same row instead of a second query
(docs/benchmarks.md, figure 1b).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connections, router

from disks.access import AUDIENCES, audiences_with_superuser
from disks.models import ApiToken


def api_token_for_hash(key_hash: str) -> ApiToken | None:
    """The token with this key hash, `.user` loaded and its audiences known; None if unknown.

    Whether the token is usable (not revoked, not expired, its owner active) is the
    caller's to check.
    """
    database = router.db_for_read(ApiToken)
    user_model = get_user_model()
    with connections[database].cursor() as cursor:
        cursor.execute(_token_sql(database), [*AUDIENCES, key_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    values = iter(row)
    api_token = _instance(database, ApiToken, values)
    user = _instance(database, user_model, values)
    groups = {audience for audience in AUDIENCES if next(values)}
    user._audiences = audiences_with_superuser(user, groups)
    api_token.user = user
    return api_token


def _instance(database: str, model, values: Iterator[Any]):
    """The model instance from the next of `values`, converted as the ORM would convert them.

    (On SQLite a datetime column arrives as text and a boolean as 0 or 1; the ORM's
    converters for each field make them what the field holds.)
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


def _fields(model) -> list:
    return list(model._meta.concrete_fields)


def _columns(model) -> list[str]:
    return [field.column for field in _fields(model)]


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


@cache
def _token_sql(database: str) -> str:
    """SELECT the token's columns, its owner's, and one membership flag per audience."""
    quote = connections[database].ops.quote_name
    user_model = get_user_model()
    token_meta, user_meta, group_meta = ApiToken._meta, user_model._meta, Group._meta
    membership_meta = user_model.groups.through._meta
    selected = [f"t.{quote(column)}" for column in _columns(ApiToken)]
    selected += [f"u.{quote(column)}" for column in _columns(user_model)]
    member_user = quote(membership_meta.get_field("user").column or "")
    member_group = quote(membership_meta.get_field("group").column or "")
    group_pk = quote(group_meta.pk.column or "")
    selected += [
        f"EXISTS (SELECT 1 FROM {quote(membership_meta.db_table)} m"  # noqa: S608
        f" JOIN {quote(group_meta.db_table)} g ON g.{group_pk} = m.{member_group}"
        f" WHERE m.{member_user} = u.{quote(user_meta.pk.column or '')}"
        f" AND g.{quote('name')} = %s)"
        for _audience in AUDIENCES
    ]
    token_user = quote(token_meta.get_field("user").column or "")
    return (
        f"SELECT {', '.join(selected)} FROM {quote(token_meta.db_table)} t"  # noqa: S608
        f" JOIN {quote(user_meta.db_table)} u"
        f" ON u.{quote(user_meta.pk.column or '')} = t.{token_user}"
        f" WHERE t.{quote(token_meta.get_field('key_hash').column or '')} = %s"
    )
