# One command to run it, one to test it:
#   make dev    install (idempotent), migrate, seed the demo course, run the whole stack (Ctrl-C stops it)
#   make test   install (idempotent), run the whole test suite on SQLite, then the integration and
#               PostgreSQL-marked tests again on a throwaway PostgreSQL server
# Everything Python goes into .venv in this folder, made from Debian's python3.11 (readable by the
# sandbox's unprivileged users, unlike a pyenv build under /root).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

BASE_PYTHON ?= /usr/bin/python3.11
VENV ?= .venv
PYTHON := $(VENV)/bin/python
# Debian packages the service and its tests need (bubblewrap: the sandbox; chromium: browser
# tests; gettext: compilemessages; postgresql: the test suite's PostgreSQL pass, whose server
# tests/postgres_server.py starts in a temporary folder, never the package's own cluster;
# nginx-light: tests/operations/test_slow_clients.py runs production's nginx server block on
# loopback against slow clients, which without it is skipped, on CI too).
APT_PACKAGES := python3.11 python3.11-venv bubblewrap chromium gettext ca-certificates postgresql nginx-light
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
INSTALLED := $(VENV)/.installed
PYTEST_ARGS ?=
# Two test processes (pytest-xdist), a test file each at a time so a file's module-scoped worker
# or browser starts once: one pytest process leaves the second core idle while it waits on
# subprocesses. Files go out in collection order, where tests/conftest.py puts the files with a
# `slow` test first (xdist's default order, most tests first, left the long one-test files for
# the end). `make test TEST_PROCESSES=0` runs everything in one process.
TEST_PROCESSES ?= 2
PYTEST_PARALLEL = $(if $(filter 0,$(TEST_PROCESSES)),,-n $(TEST_PROCESSES) --dist loadfile --no-loadscope-reorder)
# The second pass: what must also hold on PostgreSQL, production's database: the pipeline with real
# workers (tests/integration) and every postgres-marked test. Browser tests run once, on SQLite: they
# drive pages whose queries the postgres-marked page tests and the integration tests run here, and
# on two slow cores running them twice cost about 100 s of the CI budget. Tests marked
# database_agnostic run once too: what they check happens in the sandbox, not in the database.
POSTGRES_MARKERS := (integration or postgres) and not browser and not database_agnostic
RUNSTACK_ARGS ?=

.PHONY: help install system-packages python-packages messages migrate dev test lint clean

help:
	@echo "make dev     install, migrate, seed demo data and run web + worker + beat + broker"
	@echo "make test    install and run the test suite"
	@echo "make install only install (Debian packages if missing, .venv, translations, database)"
	@echo "make lint    ruff"

install: system-packages python-packages messages migrate

system-packages:
	@missing=""; \
	for package in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' "$$package" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# umask 022: the sandbox runs this interpreter as an unprivileged user, who must be able to read it.
$(PYTHON): | system-packages
	umask 022 && $(BASE_PYTHON) -m venv $(VENV)

# Reinstalls only when pyproject.toml changes. The pinned torch==2.13.0 CPU wheel is found through
# the machine's pip configuration (find-links in /etc/pip.conf or PIP_FIND_LINKS).
$(INSTALLED): pyproject.toml | $(PYTHON)
	umask 022 && $(PYTHON) -m pip install --quiet -e '.[test]'
	touch $@

python-packages: $(INSTALLED)

messages: $(INSTALLED)
	$(PYTHON) manage.py compilemessages --ignore='.venv*' --ignore=var --ignore=node_modules -v0

migrate: $(INSTALLED)
	mkdir -p var
	$(PYTHON) manage.py migrate --noinput -v0

dev: install
	$(PYTHON) manage.py seed_demo
	exec $(PYTHON) manage.py runstack $(RUNSTACK_ARGS)

# No migrate: the tests build their own database. Both passes run even if the first fails, so
# one run shows every failure; the exit status is the first pass's failure, else the second's.
test: system-packages python-packages messages
	@status=0; \
	echo "== pass 1 of 2: the whole suite on SQLite"; \
	SECONDS=0; $(PYTHON) -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS) || status=$$?; \
	echo "== pass 1 took $$SECONDS s"; \
	echo "== pass 2 of 2: -m '$(POSTGRES_MARKERS)' on a throwaway PostgreSQL"; \
	SECONDS=0; $(PYTHON) -m tests.postgres_server -- \
		$(PYTHON) -m pytest -m "$(POSTGRES_MARKERS)" $(PYTEST_PARALLEL) $(PYTEST_ARGS) || { failed=$$?; [ $$status != 0 ] || status=$$failed; }; \
	echo "== pass 2 took $$SECONDS s"; \
	exit $$status

lint: $(INSTALLED)
	$(PYTHON) -m ruff check .

clean:
	rm -rf $(VENV) var staticfiles
