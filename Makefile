# sale_chain — developer targets
#
#   make demo          build what is missing (virtualenv, sao web client,
#                      seeded French demo database) then serve it on
#                      http://$(DEMO_HOST):$(DEMO_PORT)/ (foreground, Ctrl-C
#                      to stop); an existing demo database is reused
#   make demo-db       the same without serving (e.g. for browser tests)
#   make demo-reset    delete the demo database, rebuild it and serve it
#   make demo-rebuild  delete the demo database and rebuild it, no serving
#   make demo-serve    serve the existing demo database
#   make demo-clean    delete the demo database directory
#   make venv          create .venv and install the module in editable mode
#   make test          the whole suite: SQLite, a throwaway PostgreSQL
#                      cluster, and sao in headless Chromium (scripts/test.sh;
#                      BACKENDS="sqlite" or TEST_ARGS="-k chain" narrow it)
#   make sao           fetch the sao web client into $(SAO_DIR)
#
# Everything is built under the repository: .venv/ and var/ (git-ignored).
# Override the variables on the command line, e.g. for a second demo:
#   make demo-db DEMO_DIR=/tmp/demo2 && make demo-serve DEMO_DIR=/tmp/demo2 DEMO_PORT=8100

ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

PYTHON        ?= python3
VENV          ?= $(ROOT)/.venv
VAR           ?= $(ROOT)/var
SAO_VERSION   ?= 8.0
SAO_DIR       ?= $(VAR)/sao
DEMO_DIR      ?= $(VAR)/demo
DEMO_DB       ?= demo
DEMO_HOST     ?= 127.0.0.1
DEMO_PORT     ?= 8000
DEMO_PASSWORD ?= admin-demo
DEMO_EMAIL    ?= admin@example.com

# The demo script reads its settings from the environment
export ROOT PYTHON VENV SAO_VERSION SAO_DIR DEMO_DIR DEMO_DB DEMO_HOST \
	DEMO_PORT DEMO_PASSWORD DEMO_EMAIL

DEMO_SH := $(ROOT)/scripts/demo.sh

.PHONY: demo demo-db demo-reset demo-rebuild demo-serve demo-clean venv sao \
	test

demo: venv sao
	@$(DEMO_SH) db
	@$(DEMO_SH) serve

demo-db: venv sao
	@$(DEMO_SH) db

demo-reset: demo-rebuild
	@$(DEMO_SH) serve

demo-rebuild: venv sao
	@$(DEMO_SH) clean
	@$(DEMO_SH) db

demo-serve:
	@$(DEMO_SH) serve

demo-clean:
	@$(DEMO_SH) clean

venv:
	@$(DEMO_SH) venv

sao:
	@$(DEMO_SH) sao

test: venv sao
	@VENV=$(VENV) $(ROOT)/scripts/test.sh
