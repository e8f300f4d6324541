# Meydan — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast lint fmt install messages makemessages migrate demo screenshots clean bench bench-scale bench-import bench-live

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) messages

# The translations: meydan/locale/LANG/LC_MESSAGES/*.po are the source (written by
# people), the .mo files Django reads are compiled from them here, never committed.
PO := $(wildcard meydan/locale/*/LC_MESSAGES/*.po)
MO := $(PO:.po=.mo)
messages: $(MO)
%.mo: %.po
	@command -v msgfmt >/dev/null || { echo "msgfmt is missing: apt-get install gettext"; exit 1; }
	msgfmt --check-format --check-header -o $@ $<

# After changing words in code or templates: bring every catalogue up to date (new
# strings arrive untranslated; tests/core/test_translations.py then names them).
makemessages: install
	$(BIN)/meydan makemessages -a --ignore=.venv --ignore=tests --ignore=bench \
	  --ignore=var --ignore=build --add-location=file
	# The widget's words (djangojs domain): embed.js only, fetched by the widget as
	# /embed/i18n/LANG.json (meydan/embed/js/README.md).
	cd meydan/embed/static/embed && $(CURDIR)/$(BIN)/meydan makemessages -d djangojs \
	  -l az -l ru -l tr -l fa --ignore=pow.js --ignore=done.js --add-location=file

migrate: install
	$(BIN)/meydan migrate --noinput

demo: migrate
	$(BIN)/meydan meydan_demo

run: demo
	@echo ""
	@echo "  Meydan is serving the demo site on http://$(HOST):$(PORT)/"
	@echo ""
	@# The worker sends email (and any other background work) beside the server; both
	@# stop together on Ctrl-C.
	@# Links in the demo's emails point at this server unless MEYDAN_PUBLIC_URL says otherwise.
	export MEYDAN_PUBLIC_URL=$${MEYDAN_PUBLIC_URL:-http://$(HOST):$(PORT)}; \
	$(BIN)/meydan worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/meydan serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -m "not browser and not slow" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/meydan makemigrations --check --dry-run

# Meydan on SQLite and on PostgreSQL + Redis (127.0.0.1:5432 and :6379) vs Isso 0.14.0 vs
# nginx (plain and gzip_static), side by side, with the hot thread (bench/bench.py; about
# 25 min; QUICK=1: 20 threads, 3 s runs, about 8 min).
bench: install
	$(BIN)/python bench/bench.py $(if $(QUICK),--quick) $(BENCH_ARGS)

# The thread read and the comment post with 10,000 vs 10,000,000 comments on PostgreSQL
# at 127.0.0.1:5432 (bench/scale_pg.py; BENCH_ARGS="--sizes small,big" for 1,000,000;
# the loaded databases are reused: the first load of 10,000,000 takes about ten minutes
# and about 14 GB of disk).
bench-scale: install
	$(BIN)/python bench/scale_pg.py $(BENCH_ARGS)

# `meydan import` of WordPress exports (10k, 100k, 1M comments) on SQLite and PostgreSQL,
# with peak memory, beside Isso's importer (bench/import_bench.py; QUICK=1: 10k and 100k).
bench-import: install
	$(BIN)/python bench/import_bench.py $(if $(QUICK),--quick) $(BENCH_ARGS)

# 10,000 readers keeping one thread open (GET /api/v1/live) while comments are posted,
# beside no live readers; through nginx's micro-cache and on the stream (meydan live) too
# (bench/live_readers.py; needs Redis at 127.0.0.1:6379, flushes its database 14).
bench-live: install
	$(BIN)/python bench/live_readers.py --nginx --sse $(BENCH_ARGS)

screenshots: install
	MEYDAN_SCREENSHOT_DIR=$(CURDIR)/docs $(BIN)/python -m pytest -q -m browser tests/browser

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var/static
