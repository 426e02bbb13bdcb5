# Two commands matter: `make build` writes out/, `make test` proves it. Both set up what
# they need: a virtualenv in .venv and promtool unpacked from Debian's package into tools/.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
TOOLS  := tools
DEBS   := prometheus prometheus-alertmanager

.PHONY: setup build test lint check bench clean

setup: $(VENV)/.installed $(TOOLS)/.unpacked $(TOOLS)/.alertmanager

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# promtool (and amtool, prometheus, alertmanager for later stages) from Debian's packages,
# unpacked without installing; skipped when PROMTOOL is set or a promtool is on PATH.
$(TOOLS)/.unpacked:
	@if [ -n "$$PROMTOOL" ] || command -v promtool >/dev/null 2>&1; then \
		echo "using promtool from $${PROMTOOL:-PATH}"; \
	else \
		set -e; mkdir -p $(TOOLS)/debs $(TOOLS)/root $(TOOLS)/bin; \
		cd $(TOOLS)/debs; \
		apt-get download $(DEBS) 2>/dev/null || { apt-get update -qq && apt-get download $(DEBS); }; \
		cd ../..; \
		for deb in $(TOOLS)/debs/*.deb; do dpkg -x "$$deb" $(TOOLS)/root; done; \
		for tool in promtool prometheus amtool; do \
			ln -sf ../root/usr/bin/$$tool $(TOOLS)/bin/$$tool; done; \
		$(TOOLS)/bin/promtool --version | head -1; \
	fi
	@mkdir -p $(TOOLS) && touch $@

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

build: $(VENV)/.installed
	$(PY) -m gen build

lint: $(VENV)/.installed
	$(PY) -m gen lint

check: $(VENV)/.installed
	$(PY) -m gen check

test: setup
	$(PY) -m pytest

bench: setup
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
