# Trellis: the two commands a user needs.
#   make run    — set up what is missing, build in release mode, run the main pipeline
#   make test   — set up what is missing, build and run every test (what CI runs)
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= release
BIN := .build/$(CONFIG)/trellis
APT_PACKAGES := libzstd-dev libxml2-dev zlib1g-dev pkg-config

.PHONY: run test deps build install check-vector bench clean fixtures

run: build
	$(BIN) run pipelines/protein-embed.yaml

test: deps
	$(SWIFT) build -c $(CONFIG)
	$(SWIFT) test -c $(CONFIG) --parallel
	./scripts/check-vector-code.sh $(BIN)

build: deps
	$(SWIFT) build -c $(CONFIG)

# Installs the Debian packages the build links against, only when one is missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get install -y $$missing || { $$SUDO apt-get update && $$SUDO apt-get install -y $$missing; }; \
	fi

# Installs trellis and trellis-supervise (which must sit beside it) into $(PREFIX)/bin.
PREFIX ?= /usr/local
install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 .build/$(CONFIG)/trellis .build/$(CONFIG)/trellis-supervise $(DESTDIR)$(PREFIX)/bin/

check-vector: build
	./scripts/check-vector-code.sh $(BIN)

# Regenerates the committed test fixtures (needs python3; creates its own venv with torch CPU + transformers 4.x).
fixtures:
	./scripts/make_fixtures.sh

clean:
	rm -rf .build
