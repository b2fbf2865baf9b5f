# The two commands a newcomer needs: `make run` and `make test` (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in emails point at the address actually served (make run PORT=8101), unless set.
SITE_URL ?= http://$(HOST):$(PORT)

# make run: embedded SQLite, Celery tasks run in-process, demo data.
RUN_ENV = DEBUG=1 CELERY_TASK_ALWAYS_EAGER=1 SITE_URL=$(SITE_URL)

.PHONY: run test lint install messages makemessages clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# uv itself, installed again when the pins change, so a checkout keeps it at its pin.
$(BIN)/uv: constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt uv
	touch $@

# The packages go in with uv (pinned in constraints.txt), which links them from its cache
# instead of unpacking each wheel again: 3 to 4 s against pip's 16 on a two-core machine. Where
# uv cannot install (an index only pip is set up to reach), pip installs the same pins.
# Reinstall only when the dependency list or its pins change. Modules are compiled when first
# imported, not all at install: `make test` keeps its compiled modules elsewhere (PYCACHE, below)
# and would never read these (a third of the install's time).
$(VENV)/.installed: $(BIN)/python $(BIN)/uv pyproject.toml constraints.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c constraints.txt -e '.[test]' \
	  || $(BIN)/python -m pip install --quiet --no-compile -c constraints.txt -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

install: $(VENV)/.installed node_modules/.installed

# Compiled when a catalogue is newer than its compiled file (2 s saved on each `make test`).
CATALOGUES := $(wildcard locale/*/LC_MESSAGES/django.po)
messages: $(CATALOGUES:.po=.mo)

%.mo: %.po $(VENV)/.installed
	DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v0
	touch $@

run: install messages
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py seed_demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	$(RUN_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Lint, the one-way dependencies between apps (import-linter, pyproject.toml) and types (mypy).
# mypy keeps what it learnt of each module out of the tree, where another checkout (CI's clean
# clone) finds it: it checks again only what changed (7 s -> 1 s), as pip's and Python's caches.
MYPY_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/social-prescribing/mypy
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/lint-imports
	DEBUG=1 MYPY_CACHE_DIR=$(MYPY_CACHE) \
	  $(BIN)/mypy core accounts directory referrals linkworkers reporting privacy config fhir_api

# SQLite unless DATABASE_URL is set. Browser tests skip, saying why, where no Chromium is installed.
# Spread over the machine's cores (pytest-xdist), each process taking a run of tests in file
# order and, when it runs dry, the far end of another's (worksteal): both finish together;
# PYTEST_ARGS="-n 0" runs in one process. Compiled modules are kept between runs
# out of the tree, even where the environment sets PYTHONDONTWRITEBYTECODE: each test process
# would otherwise compile Django and every library again (README, "How the suite stays fast").
PYCACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/social-prescribing/pycache
test: lint messages
	DJANGO_COLORS=nocolor PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX=$(PYCACHE) \
	  $(BIN)/python -m pytest -n auto --dist worksteal $(PYTEST_ARGS)

# Timings on PostgreSQL (DATABASE_URL must point at it): see README, "Speed". BENCH_ARGS passes options.
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

# Regenerate the Welsh catalogue after adding strings (then translate what is new).
makemessages: install
	DEBUG=1 $(BIN)/python manage.py makemessages -l cy --ignore=.venv --ignore=node_modules --ignore=staticfiles --no-obsolete

clean:
	rm -rf $(VENV) node_modules staticfiles db.sqlite3 $(PYCACHE) $(MYPY_CACHE)
