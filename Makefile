# The two commands a new user runs. Everything else is in scripts/dev.py.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv

.PHONY: run test smoke fuzz lint fmt messages

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

# Quiet: a newcomer's first screen is the demo's sign-in, not the package list (errors still show).
$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	@echo "Installing the dependencies into $(VENV) (uv sync)..."
	@$(UV) sync --frozen --extra embedded --python $(PYTHON) --quiet
	@touch $@

## run: start the app with a Celery worker on http://127.0.0.1:8000 (demo data, demo operator)
run: $(VENV)/.synced
	$(VENV)/bin/python scripts/dev.py run

## test: run the whole suite (embedded services unless DATABASE_URL / REDIS_URL are set)
test: $(VENV)/.synced
	$(VENV)/bin/python scripts/dev.py test $(ARGS)

## smoke: start like `run`, fetch the home page, the admin login and ping the worker, stop
smoke: $(VENV)/.synced
	$(VENV)/bin/python scripts/dev.py smoke

## fuzz: schemathesis (all checks) against the API of a running app, anonymous and with a key
fuzz: $(VENV)/.synced
	$(VENV)/bin/python scripts/dev.py fuzz $(ARGS)

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@# mypy's django plugin imports the settings (never connects): DEBUG=1 so no secret is
	@# needed, and placeholder service addresses where none are set (CI's clean clone).
	DEBUG=1 DATABASE_URL=$${DATABASE_URL:-postgres://localhost/unused} \
	  REDIS_URL=$${REDIS_URL:-redis://localhost:6379/0} $(VENV)/bin/mypy .

## messages: after changing texts, update locale/<language>/LC_MESSAGES/django.po from the code
## and templates, translate the new entries, and run it again to compile the .mo files (committed)
# The settings need these two; neither command connects to them.
MESSAGES_ENV := DEBUG=1 DATABASE_URL=postgres://localhost/unused REDIS_URL=redis://localhost/0
messages: $(VENV)/.synced
	$(MESSAGES_ENV) $(VENV)/bin/python manage.py makemessages -l ko -l zh_Hans --no-obsolete --ignore=tests
	$(MESSAGES_ENV) $(VENV)/bin/python manage.py compilemessages --ignore='.*'

fmt: $(VENV)/.synced
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
