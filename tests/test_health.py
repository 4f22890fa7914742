"""/healthz reports whether the database answers."""

from tests.factories import run_manage

UNREACHABLE_DB_PROBE = """
from django.test import Client
response = Client().get("/healthz")
print(response.status_code, response.json())
"""


def test_healthz_is_200_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_needs_no_login(client, db):
    assert client.get("/healthz").status_code == 200


def test_healthz_is_503_when_the_database_is_unreachable():
    # Port 1 on loopback: nothing listens, so the connection is refused at once.
    env = {
        "DEBUG": "true",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
        "ALLOWED_HOSTS": "testserver",
    }
    result = run_manage("shell", "-c", UNREACHABLE_DB_PROBE, env=env)
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip().splitlines()[-1]
        == "503 {'status': 'unavailable', 'database': 'unreachable'}"
    )
