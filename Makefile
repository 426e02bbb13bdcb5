# Two commands matter: `make build` writes out/, `make test` proves it. Both set up what
# they need: a virtualenv in .venv and promtool unpacked from Debian's package into tools/.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
TOOLS  := tools
DEBS   := prometheus prometheus-alertmanager

.PHONY: setup build test lint check preview bench clean relay-context relay-image relay-image-name

setup: $(VENV)/.installed $(TOOLS)/.unpacked $(TOOLS)/.alertmanager $(TOOLS)/.postgresql $(TOOLS)/.drills $(TOOLS)/.servers $(TOOLS)/.chromium

# editable_mode=compat: the editable install is a plain path in a .pth file; the default puts
# an import finder there that every Python start loads (pathlib, urllib, ...): 25 ms of each
# `python -m gen` command (bench/README.md).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[compiler,relay,test]' --config-settings editable_mode=compat
	touch $@

# promtool, prometheus, amtool and alertmanager from Debian's packages, unpacked without
# installing. The tests need all four; gen uses $$PROMTOOL / $$AMTOOL or a promtool/amtool on
# PATH in preference to these copies (gen/tools/promtool.py), prometheus and alertmanager always
# come from here.
$(TOOLS)/.unpacked:
	set -e; mkdir -p $(TOOLS)/debs $(TOOLS)/root $(TOOLS)/bin; \
	cd $(TOOLS)/debs; \
	apt-get download $(DEBS) 2>/dev/null || { apt-get update -qq && apt-get download $(DEBS); }; \
	cd ../..; \
	for deb in $(TOOLS)/debs/*.deb; do dpkg -x "$$deb" $(TOOLS)/root; done; \
	for tool in promtool prometheus amtool; do \
		ln -sf ../root/usr/bin/$$tool $(TOOLS)/bin/$$tool; done; \
	$(TOOLS)/bin/promtool --version | head -1
	@touch $@

# Debian's alertmanager binary reads its default template from /usr/share/prometheus/alertmanager,
# which an unpacked package does not have: tools/bin/alertmanager is a copy with that path
# replaced by the same-length relative path ./am-share (run it where am-share links to
# tools/root/usr/share/prometheus/alertmanager, as the relay's Alertmanager test does).
$(TOOLS)/.alertmanager: $(TOOLS)/.unpacked
	@if [ -f $(TOOLS)/root/usr/bin/prometheus-alertmanager ]; then \
		$(PYTHON) -c 'import sys; d = open(sys.argv[1], "rb").read(); open(sys.argv[2], "wb").write(d.replace(b"/usr/share/prometheus/alertmanager", b"./" * 13 + b"am-share"))' \
			$(TOOLS)/root/usr/bin/prometheus-alertmanager $(TOOLS)/root/usr/bin/alertmanager && \
		chmod +x $(TOOLS)/root/usr/bin/alertmanager && \
		ln -sf ../root/usr/bin/alertmanager $(TOOLS)/bin/alertmanager; \
	fi
	@touch $@

# PostgreSQL's server, for the tests of the relay's shared store (tests/support/postgres_server.py starts
# a cluster of its own in a temporary folder, as `nobody` when run as root, and stops it):
# Debian's postgresql-15, installed only when the machine has no /usr/lib/postgresql/*/bin/postgres.
$(TOOLS)/.postgresql:
	@if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null 2>&1 || \
			{ apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql-15; }; \
	else echo "make setup: the relay's tests need PostgreSQL's server: sudo apt-get install postgresql-15 (or set PG_BINDIR)" >&2; exit 1; fi
	@mkdir -p $(TOOLS) && touch $@

# The drills' real components (tests/drills/): etcd, node_exporter, the middleware exporters and
# VictoriaMetrics with vmalert, all single Go binaries, unpacked from Debian's packages like promtool.
DRILL_DEBS := etcd-server etcd-client prometheus-node-exporter prometheus-mysqld-exporter \
	prometheus-postgres-exporter prometheus-redis-exporter victoria-metrics
DRILL_BINS := etcd etcdctl prometheus-node-exporter prometheus-mysqld-exporter \
	prometheus-postgres-exporter prometheus-redis-exporter victoria-metrics vmalert vmagent
$(TOOLS)/.drills:
	set -e; mkdir -p $(TOOLS)/drill-debs $(TOOLS)/root $(TOOLS)/bin; \
	cd $(TOOLS)/drill-debs; \
	apt-get download $(DRILL_DEBS) 2>/dev/null || { apt-get update -qq && apt-get download $(DRILL_DEBS); }; \
	cd ../..; \
	for deb in $(TOOLS)/drill-debs/*.deb; do dpkg -x "$$deb" $(TOOLS)/root; done; \
	for tool in $(DRILL_BINS); do ln -sf ../root/usr/bin/$$tool $(TOOLS)/bin/$$tool; done
	@touch $@

# MariaDB's and Redis' servers for the middleware drills (tests/support/servers.py starts each in a
# temporary folder and stops it): installed from Debian when the machine has none (they link
# against system libraries, so they are not unpacked). Debian does not start them here.
$(TOOLS)/.servers:
	@missing=""; command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || missing="mariadb-server"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -qq --no-install-recommends $$missing >/dev/null 2>&1 || \
			{ apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; }; \
	else echo "make setup: the drills need $$missing: sudo apt-get install $$missing" >&2; exit 1; fi
	@mkdir -p $(TOOLS) && touch $@

# Debian's chromium for `python -m gen preview`'s PNGs and the preview tests (headless): installed
# when the machine has none (it links against system libraries, so it is not unpacked).
$(TOOLS)/.chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 || \
			{ apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; }; \
	else echo "make setup: the dashboard previews need chromium: sudo apt-get install chromium" >&2; exit 1; fi
	@mkdir -p $(TOOLS) && touch $@

build: $(VENV)/.installed
	$(PY) -m gen build

lint: $(VENV)/.installed
	$(PY) -m gen lint

check: $(VENV)/.installed
	$(PY) -m gen check

# Every dashboard drawn from its fixture: build/preview/<uid>.html and .png (README "Previews").
preview: $(VENV)/.installed $(TOOLS)/.unpacked $(TOOLS)/.chromium
	$(PY) -m gen preview

# Three pytest-xdist workers, a test module per worker at a time (module fixtures such as a
# drill file's pipeline start once): the suite mostly waits on real services, so it takes
# 6.6 minutes instead of 16.7 serial on this 2-core machine (bench/README.md, "The suite in
# parallel"). TEST_JOBS=0 runs it serially; one test: .venv/bin/python -m pytest <file> -k <name>.
TEST_JOBS ?= 3
test: setup
	$(PY) -m pytest $(if $(filter 0,$(TEST_JOBS)),,-n $(TEST_JOBS) --dist loadfile)

# The relay's container image (relay/Dockerfile), named as out/relay/deployment.yaml runs it
# (monitoring.yaml's relay.image). Its build context holds only what the relay needs;
# tests/relay/test_image.py installs that same context, as the Dockerfile does, into a fresh
# virtualenv and runs the relay from it (no container engine runs where the tests do).
RELAY_CONTEXT ?= build/relay-image
relay-context:
	rm -rf $(RELAY_CONTEXT) && mkdir -p $(RELAY_CONTEXT)
	cp -R common relay pyproject.toml README.md $(RELAY_CONTEXT)/
	find $(RELAY_CONTEXT) -name __pycache__ -prune -exec rm -rf {} +

# the image out/relay/deployment.yaml runs (monitoring.yaml's relay.image)
relay-image-name:
	@awk '$$1 == "image:" {print $$2; exit}' out/relay/deployment.yaml

relay-image: relay-context
	@engine=$$(command -v docker || command -v podman) || { echo "make relay-image: needs docker or podman" >&2; exit 1; }; \
	$$engine info >/dev/null 2>&1 || { echo "make relay-image: $$engine is installed but no container engine answers ($$engine info failed)" >&2; exit 1; }; \
	image=$$($(MAKE) -s relay-image-name); \
	echo "$$engine build -t $$image -f $(RELAY_CONTEXT)/relay/Dockerfile $(RELAY_CONTEXT)"; \
	$$engine build -t "$$image" -f $(RELAY_CONTEXT)/relay/Dockerfile $(RELAY_CONTEXT)

# wrk (the relay benchmark's load generator) from Debian, unpacked like the tools above.
$(TOOLS)/.wrk:
	set -e; mkdir -p $(TOOLS)/wrk $(TOOLS)/bin; cd $(TOOLS)/wrk; \
	apt-get download wrk libluajit2-5.1-2 2>/dev/null || { apt-get update -qq && apt-get download wrk libluajit2-5.1-2; }; \
	for deb in *.deb; do dpkg -x "$$deb" root; done
	printf '#!/bin/sh\nhere=$$(dirname "$$(readlink -f "$$0")")/../wrk/root\nLD_LIBRARY_PATH="$$here/usr/lib/x86_64-linux-gnu" exec "$$here/usr/bin/wrk" "$$@"\n' > $(TOOLS)/bin/wrk
	chmod +x $(TOOLS)/bin/wrk
	touch $@

bench: setup $(TOOLS)/.wrk
	$(PY) bench/run.py
	$(PY) bench/relay.py
	$(PY) bench/relay_backlog.py
	$(PY) bench/relay_store.py
	$(PY) bench/e2e.py --runs 3

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
