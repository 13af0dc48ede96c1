PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install templates bench clean dist

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The Open XML SDK validator (Node, tests/test_ooxml_valid.py), at the version of its lock file.
OOXML := tests/ooxml/node_modules/.package-lock.json
$(OOXML): tests/ooxml/package-lock.json
	npm ci --prefix tests/ooxml --no-audit --no-fund --loglevel=error

demo: $(STAMP)
	$(BIN)/xlsales demo --out demo-output

test: $(STAMP) $(OOXML)
	$(BIN)/python -m pytest

templates: $(STAMP)
	$(BIN)/python workbook_templates/build_templates.py

# The wheel and sdist a user installs (docs/excel.md): dist/xlsales-<version>-py3-none-any.whl
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --no-isolation --outdir dist .

bench: $(STAMP)
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) demo-output dist
