"""The API token a bearer secret names, with its owner and the owner's audiences: one query.

Every API call starts here, so the statement is written once per process
(disks/selectors/rows.py) rather than compiled by the ORM on each call, and the owner's
audience groups come in the same row instead of a second query (docs/benchmarks.md,
figure 1b).
"""

from __future__ import annotations

from functools import cache

from django.contrib.auth import get_user_model
from django.db import connections, router

from disks.access import AUDIENCES
from disks.models import ApiToken
from disks.selectors.rows import (
    audience_flags_sql,
    model_columns_sql,
    model_from_row,
    user_from_row,
)


def api_token_for_hash(key_hash: str) -> ApiToken | None:
    """The token with this key hash, `.user` loaded and its audiences known; None if unknown.

    Whether the token is usable (not revoked, not expired, its owner active) is the
    caller's to check.
    """
    database = router.db_for_read(ApiToken)
    with connections[database].cursor() as cursor:
        cursor.execute(_token_sql(database), [*AUDIENCES, key_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    values = iter(row)
    api_token = model_from_row(database, ApiToken, values)
    api_token.user = user_from_row(database, values)
    return api_token


@cache
def _token_sql(database: str) -> str:
    """SELECT the token's columns, its owner's, and one membership flag per audience."""
    quote = connections[database].ops.quote_name
    token_meta, user_meta = ApiToken._meta, get_user_model()._meta
    user_pk = f"u.{quote(user_meta.pk.column or '')}"
    selected = [
        *model_columns_sql(database, ApiToken, "t"),
        *model_columns_sql(database, get_user_model(), "u"),
        *audience_flags_sql(database, user_pk),
    ]
    token_user = quote(token_meta.get_field("user").column or "")
    return (
        f"SELECT {', '.join(selected)} FROM {quote(token_meta.db_table)} t"  # noqa: S608
        f" JOIN {quote(user_meta.db_table)} u ON {user_pk} = t.{token_user}"
        f" WHERE t.{quote(token_meta.get_field('key_hash').column or '')} = %s"
    )
