# 贷款风险补偿资金管理平台 — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)

.PHONY: run test restore-test bench install setup messages messages-update system-deps-run system-deps-test lint typecheck worker beat clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	@$(PY) -m pip install -q -r requirements-dev.txt 2>&1 | grep -v '^WARNING: Location' || true
	@$(PY) -c "import django, celery, guardian, import_export, weasyprint" \
	  || { echo "依赖安装失败 / dependency install failed"; exit 1; }
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

system-deps-run:
	@bash scripts/system-deps.sh fonts-noto-cjk gettext

system-deps-test:
	@bash scripts/system-deps.sh fonts-noto-cjk gettext chromium poppler-utils

messages: install
	@$(PY) manage.py compilemessages --ignore=.venv -v0

# N_ (gettext_noop) and _lazy (gettext_lazy) are the aliases the code marks strings with.
messages-update: install
	$(PY) manage.py makemessages -l en --ignore=.venv --ignore=artifacts --ignore=var --keyword=N_ --keyword=_lazy --no-obsolete

setup: install system-deps-run messages
	@$(PY) manage.py migrate --noinput -v0
	@$(PY) manage.py load_demo

run: setup
	@echo ""
	@echo "门户地址 / Portal: http://$(HOST):$(PORT)/"
	@$(PY) manage.py runserver --noreload $(HOST):$(PORT)

test: install system-deps-test messages
	@bash scripts/test.sh

# Back up a scratch PostgreSQL database with the demo data, restore it elsewhere, compare.
restore-test: install messages
	@bash scripts/test_restore.sh

bench: install messages
	@bash scripts/bench.sh

lint: install
	@$(BIN)/ruff check .

# mypy with the django-stubs plugin, configured in pyproject.toml.
typecheck: install
	@$(BIN)/mypy .

worker: install
	@$(BIN)/celery -A riskcomp worker -Q celery,reports -l info

beat: install
	@$(BIN)/celery -A riskcomp beat -l info

clean:
	rm -rf var staticfiles .pytest_cache
