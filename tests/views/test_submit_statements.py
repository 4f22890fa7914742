"""What an add-disk POST asks of the database (issue 22, figure 10): pinned, so it stays lean.

The steady state of a busy helpdesk: the disk types cached, the quotas forgotten by the
previous submit. Counted with CaptureQueriesContext, transaction control included.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from disks.models import Desktop, DiskRequest
from tests.views.test_helpdesk import add_url, form_post

# Transactional: the submit's own transactions must be the outermost, as in a real request
# (the desktop snapshot relaxes its commit only when it is not inside a caller's).
pytestmark = pytest.mark.django_db(transaction=True)

# Statements of one add-disk POST that is sent: 32 before issue 22's round two. PostgreSQL
# has one more, the desktop snapshot's asynchronous commit (SET LOCAL synchronous_commit).
MOST_STATEMENTS = {"postgresql": 28, "sqlite": 27}


def idle_desktops(count: int) -> list[str]:
    ready = Desktop.objects.filter(status="ACTIVE", task_status="", data_volume_count__lt=9)
    return list(ready.values_list("desktop_id", flat=True)[:count])


@pytest.fixture
def submit_statements(synced, helpdesk_client):
    """The SQL of the second of two add-disk POSTs (each on its own desktop)."""
    warm, measured = idle_desktops(2)
    helpdesk_client.post(add_url(warm), form_post(None, ("SAS", 10)))
    with CaptureQueriesContext(connection) as queries:
        response = helpdesk_client.post(add_url(measured), form_post(None, ("SAS", 10)))
    assert response.status_code == 302
    assert DiskRequest.objects.get(desktop_id=measured).job_id
    return [query["sql"] for query in queries]


def test_a_submit_does_not_cache_the_quotas_it_is_about_to_spend(submit_statements):
    cache_writes = [
        sql
        for sql in submit_statements
        if "disks_cache" in sql and not sql.startswith(('SELECT "cache_key"', "DELETE"))
    ]
    assert cache_writes == [], "no COUNT, no INSERT: the submit forgets the quotas right after"
    assert sum(sql.startswith("DELETE") and "disks_cache" in sql for sql in submit_statements) == 1


def test_the_add_disk_post_stays_within_its_statements(submit_statements):
    most = MOST_STATEMENTS[connection.vendor]
    assert len(submit_statements) <= most, "\n".join(submit_statements)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's commit setting")
def test_only_the_desktop_snapshot_commits_without_waiting_for_the_disk(submit_statements):
    """The refreshed desktop may be lost in a crash (the cloud has it); the request may not."""
    relaxed = [
        index for index, sql in enumerate(submit_statements) if "synchronous_commit TO OFF" in sql
    ]
    assert len(relaxed) == 1, "one transaction: the desktop's, not the request's or the audit's"
    assert submit_statements[relaxed[0] + 1].startswith('INSERT INTO "disks_desktop"')


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's commit setting")
def test_a_refresh_inside_a_callers_transaction_keeps_its_commit_synchronous(synced):
    """SET LOCAL would relax the caller's whole transaction, which may hold more than desktops."""
    from django.db import transaction

    from disks.services.inventory import desktop_refresh

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        desktop_refresh(desktop_id=idle_desktops(1)[0])
    assert not [query for query in queries if "synchronous_commit" in query["sql"]]
