# Workspace Disk Admin: the two commands a newcomer needs are `make run` and `make test`.
.PHONY: run test lint format lock clean help screenshots messages compilemessages

VENV := .venv
PY := $(VENV)/bin/python
# pytest processes (pytest-xdist): the suite mostly waits on servers, browsers and sockets,
# so four run well even on two cores. TEST_PROCESSES=0 runs it in this process alone.
TEST_PROCESSES ?= 4

help:
	@echo "make run    - the dashboard with the Workspace simulator on http://127.0.0.1:8000"
	@echo "make test   - ruff, mypy and the whole pytest suite (SQLite; DATABASE_URL=postgres://... for PostgreSQL)"
	@echo "make lock   - re-pin requirements.lock from the current environment"
	@echo "make screenshots - re-take docs/screenshots/ with the browser tests"
	@echo "make messages - refresh locale/zh_Hans/LC_MESSAGES/*.po from the sources (then translate)"

# Translations: the .po catalogs are in git, the compiled .mo files are built (and ignored).
# The tests (tests/i18n/test_catalog.py) run makemessages with the same ignore list.
MESSAGES_IGNORE := --ignore='tests/*' --ignore='bench/*' --ignore='workspace_sim/*' \
	--ignore='static/vendor/*' --ignore='docs/*' --ignore='node_modules/*'

messages:
	@scripts/ensure-venv dev
	$(PY) manage.py makemessages --locale=zh_Hans --add-location=file --no-obsolete $(MESSAGES_IGNORE)
	$(PY) manage.py makemessages --locale=zh_Hans --domain=djangojs --add-location=file --no-obsolete $(MESSAGES_IGNORE)

compilemessages:
	@scripts/ensure-venv dev
	@# Needs no secret and no .env: it only turns locale/*/LC_MESSAGES/*.po into .mo files.
	@DEBUG=true ENV_FILE=/dev/null $(PY) manage.py compilemessages --locale=zh_Hans --ignore='.venv' --ignore='*/node_modules' --verbosity=0

run: compilemessages
	@scripts/ensure-venv dev
	@DEBUG=$${DEBUG:-true} $(PY) manage.py rundev

test: compilemessages
	@scripts/ensure-venv dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -n $(TEST_PROCESSES) --dist loadfile $(PYTEST_ARGS)

screenshots:
	@scripts/ensure-venv dev
	SCREENSHOT_DIR=docs/screenshots $(VENV)/bin/pytest tests/e2e -q

format:
	@scripts/ensure-venv dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

lock:
	@scripts/ensure-venv dev
	$(VENV)/bin/python -m pip install --quiet --upgrade --editable ".[dev]"
	@{ echo "# Exact versions for every install (pip --constraint). Regenerate with: make lock"; \
	   $(VENV)/bin/python -m pip freeze --exclude-editable | grep -v '^-e'; } > requirements.lock

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache

# The benchmark figures (docs/benchmarks.md): PostgreSQL on 127.0.0.1:5432, gunicorn, wrk.
# BENCH_ARGS=--keep-data reuses the generated million audit events from the last run.
.PHONY: bench
bench:
	@scripts/ensure-venv dev
	BENCH_INVOKED_AS="make bench$(if $(BENCH_ARGS), BENCH_ARGS='$(BENCH_ARGS)')" $(PY) -m bench.run $(BENCH_ARGS)
