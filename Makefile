# The two commands: `make run` and `make test`. Everything else is set up on the way.
SHELL := /bin/bash
PYTHON_VERSION := $(shell cat .python-version)
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test setup lint format messages bench load clean

# A virtualenv on Python 3.13 (pyenv's, or any python3.13 on PATH), with uv inside it.
$(PY):
	@py=$$(PYENV_VERSION=$(PYTHON_VERSION) pyenv which python 2>/dev/null || command -v python$(PYTHON_VERSION)); \
	  if [ -z "$$py" ]; then echo "Python $(PYTHON_VERSION) is needed (pyenv install $(PYTHON_VERSION))"; exit 1; fi; \
	  "$$py" -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==0.13.9

# Installs exactly what uv.lock pins; re-runs only when the lock changes.
$(VENV)/.synced: uv.lock pyproject.toml | $(PY)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --locked --python $(PY) --quiet
	@touch $@

var/secret_key:
	@mkdir -p var
	@$(PY) -c "import secrets; print(secrets.token_urlsafe(64))" > $@
	@chmod 600 $@

# The local production-like environment: DEBUG off, the generated secret, SQLite under var/,
# plain HTTP on 127.0.0.1 (HTTPS=0: no HSTS, no secure-only cookies, no redirect to https).
LOCAL_ENV = SECRET_KEY="$$(cat var/secret_key)" ALLOWED_HOSTS="$${ALLOWED_HOSTS:-127.0.0.1,localhost}" \
	HTTPS="$${HTTPS:-0}"

setup: $(VENV)/.synced var/secret_key
	@$(LOCAL_ENV) $(PY) manage.py migrate --noinput --verbosity 0
	@$(LOCAL_ENV) $(PY) manage.py load_content
	@$(LOCAL_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0

run: setup
	$(LOCAL_ENV) $(VENV)/bin/gunicorn portal.wsgi --config portal/gunicorn.conf.py --bind 127.0.0.1:$(PORT)

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.synced
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: setup lint
	bash tests/run.sh

messages: $(VENV)/.synced
	$(PY) manage.py makemessages -l en -l zh_Hant --no-obsolete --add-location file
	$(PY) -m scripts.fill_zh_hant locale/zh_Hant/LC_MESSAGES/django.po
	$(PY) manage.py compilemessages --verbosity 0

# Throughput, page weight and SQL per page as in production, against the floors (bench/README.md).
bench: setup
	@command -v wrk >/dev/null || (sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; $$sudo apt-get install -y -qq wrk)
	$(PY) bench/bench.py

# Mixed readers' traffic with Locust against gunicorn on a fresh database (PostgreSQL when one
# answers); LOAD_USERS, LOAD_TIME, or LOAD_HOST to aim at a server already running.
LOAD_USERS ?= 20
LOAD_TIME ?= 30s
load: setup
	$(VENV)/bin/locust -f bench/locustfile.py --headless --users $(LOAD_USERS) \
	  --spawn-rate $(LOAD_USERS) --run-time $(LOAD_TIME) --only-summary $(if $(LOAD_HOST),--host $(LOAD_HOST))

clean:
	rm -rf $(VENV) var/static
