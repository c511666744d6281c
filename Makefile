# The two commands a newcomer needs: `make dev` and `make test`. Both set everything up themselves.
# `make lint` is the gate CI runs before the tests (ruff and mypy, settings in pyproject.toml).
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed
STAGE ?= dev

.PHONY: dev demo test lint venv browser bench package deploy clean

# Python 3.13 (the Lambda runtime we target), found on PATH or through pyenv; 3.12 as a fallback.
PYTHON_BOOT := $(shell for v in 3.13 3.12; do \
	  if python$$v -c 'import sys' >/dev/null 2>&1; then command -v python$$v; exit; fi; \
	  if command -v pyenv >/dev/null 2>&1; then \
	    p=$$(pyenv prefix $$(pyenv versions --bare 2>/dev/null | grep -E "^$$v(\.|$$)" | sort -V | tail -1) 2>/dev/null); \
	    if [ -n "$$p" ] && [ -x "$$p/bin/python$$v" ]; then echo "$$p/bin/python$$v"; exit; fi; \
	  fi; done)

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@if [ -z "$(PYTHON_BOOT)" ]; then \
	  echo "error: Python 3.13 (or 3.12) is needed: install it (e.g. 'pyenv install 3.13') and run again." >&2; exit 1; fi
	@if [ ! -x $(PY) ]; then echo "creating $(VENV) with $(PYTHON_BOOT)"; $(PYTHON_BOOT) -m venv $(VENV); fi
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

dev: venv
	$(PY) -m chalicelib.cli dev

# Months of made-up trade for the demo program, so the analytics have something to show (with `make dev`
# running; DAYS=30 for fewer). Running it again adds nothing.
demo: venv
	$(PY) -m chalicelib.cli demo-history $(if $(DAYS),--days $(DAYS))

test: venv browser
	$(PY) -m pytest -q tests

# The browser tests (tests/browser) drive Debian's Chromium through Playwright; Playwright's own browser
# download is not used. Installed here when missing (needs root or sudo, and Debian's package lists).
CHROMIUM ?= /usr/bin/chromium
browser:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; else \
	    echo "error: Chromium is needed for the browser tests: install Debian's 'chromium' package (as root)," \
	      "or set CHROMIUM=/path/to/chromium" >&2; exit 1; fi; \
	  echo "installing Debian's chromium package for the browser tests"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends chromium >/dev/null; fi

# Both tools run even when the first finds something, so one run lists everything to fix.
lint: venv
	@status=0; $(VENV)/bin/ruff check . || status=1; $(VENV)/bin/mypy || status=1; exit $$status

bench: venv
	$(PY) benchmarks/cold_start.py
	$(PY) benchmarks/receipts.py
	$(PY) benchmarks/pkpass.py
	$(PY) benchmarks/bundle.py
	$(PY) benchmarks/analytics.py --cards 20000
	$(PY) benchmarks/experiments.py --cards 20000
	$(PY) benchmarks/pages.py
	$(PY) benchmarks/data_rights.py --quick

package: venv
	$(PY) -m infra.package --stage $(STAGE)

# Needs the AWS CLI, credentials and an S3 bucket for the code (see the README's "Deploying to AWS").
# The template is over CloudFormation's 51,200-byte inline limit, so it goes through the bucket as well.
# Stack parameters (infra/template.py PARAMETERS) from make variables; unset ones keep the stack's
# current value (or the default on the first deploy). ALARM_EMAIL is needed on the first deploy.
PARAMETER_VARS := AlarmEmail=ALARM_EMAIL LogRetentionDays=LOG_RETENTION_DAYS Tracing=TRACING \
  ThrottlingRateLimit=THROTTLE_RATE ThrottlingBurstLimit=THROTTLE_BURST DomainName=DOMAIN_NAME \
  CertificateArn=CERTIFICATE_ARN ApiReservedConcurrency=API_RESERVED_CONCURRENCY \
  JobsMaxConcurrency=JOBS_MAX_CONCURRENCY TableMaxReadUnits=TABLE_MAX_READ_UNITS \
  TableMaxWriteUnits=TABLE_MAX_WRITE_UNITS
OVERRIDES := $(strip $(foreach pair,$(PARAMETER_VARS),$(if $($(word 2,$(subst =, ,$(pair)))),\
  $(word 1,$(subst =, ,$(pair)))=$($(word 2,$(subst =, ,$(pair)))))))
STACK ?= loyalty-$(STAGE)

deploy:
	@if [ -z "$(BUCKET)" ]; then echo "error: set BUCKET=<an S3 bucket for the code, in the stack's region>" >&2; exit 1; fi
	$(MAKE) package STAGE=$(STAGE)
	aws cloudformation package --template-file out/$(STAGE)/sam.json --s3-bucket $(BUCKET) \
	  --s3-prefix $(STACK) --output-template-file out/$(STAGE)/packaged.yaml
	aws cloudformation deploy --template-file out/$(STAGE)/packaged.yaml --stack-name $(STACK) \
	  --s3-bucket $(BUCKET) --s3-prefix $(STACK) --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
	  --no-fail-on-empty-changeset $(if $(OVERRIDES),--parameter-overrides $(OVERRIDES))
	aws cloudformation describe-stacks --stack-name $(STACK) --query 'Stacks[0].Outputs' --output table

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache out
