# The two commands a newcomer needs: `make dev` and `make test`. Both set everything up themselves.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed
STAGE ?= dev

.PHONY: dev test venv bench package deploy clean

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

test: venv
	$(PY) -m pytest -q tests

bench: venv
	$(PY) benchmarks/cold_start.py
	$(PY) benchmarks/receipts.py
	$(PY) benchmarks/pkpass.py
	$(PY) benchmarks/bundle.py
	$(PY) benchmarks/analytics.py --cards 20000

package: venv
	$(PY) -m infra.package --stage $(STAGE)

# Needs the AWS CLI, credentials and an S3 bucket for the code (see the README's "Deploying").
deploy: package
	@if [ -z "$(BUCKET)" ]; then echo "error: set BUCKET=<an S3 bucket for the code>" >&2; exit 1; fi
	aws cloudformation package --template-file out/$(STAGE)/sam.json --s3-bucket $(BUCKET) \
	  --output-template-file out/$(STAGE)/packaged.yaml
	aws cloudformation deploy --template-file out/$(STAGE)/packaged.yaml --stack-name loyalty-$(STAGE) \
	  --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND

clean:
	rm -rf $(VENV) .pytest_cache out
