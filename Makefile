# mlops.elasticsearch: setup and tests. `make test` and `make demo` are the two commands a user needs;
# each does all setup itself on a fresh machine (Python 3.11 and the package index are all it needs).

PYTHON ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
TOOLS := .tools
TOOLS_STAMP := $(TOOLS)/.installed
COLLECTIONS := .collections
LINK := $(COLLECTIONS)/ansible_collections/mlops/elasticsearch
# Outside the checkout: inside it, ansible-test would ask this repository's git, which ignores the copy.
SANITY_ROOT := $(or $(TMPDIR),/tmp)/mlops.elasticsearch-sanity
SANITY_TREE := $(SANITY_ROOT)/ansible_collections/mlops/elasticsearch
PORT ?= 9200
EMULATOR := PYTHONPATH=$(CURDIR)/tests/emulator $(BIN)/python -m esml_emulator

export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_NOCOLOR := 1
export ANSIBLE_FORCE_COLOR := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install emulator demo docs bench sanity lint community units integration test matrix clean

## install: the .venv with pinned tools, this collection linked from the working tree, ansible-test's bootstrap
install: $(STAMP) $(LINK) $(HOME)/.ansible/test/.mlops-seeded

$(STAMP): requirements/dev.txt requirements/constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt -c requirements/constraints.txt
	touch $@

$(TOOLS_STAMP): requirements/tools.txt requirements/tools-constraints.txt
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS)/bin/python -m pip install --quiet -r requirements/tools.txt -c requirements/tools-constraints.txt
	touch $@

# The collection is "installed" as a link to this working tree, so edits need no reinstall;
# ansible.cfg points collections_path at .collections.
$(LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../.. $@

$(HOME)/.ansible/test/.mlops-seeded: $(STAMP) tests/tooling/get_pip_standin.py tests/tooling/seed_ansible_test.py
	$(BIN)/python tests/tooling/seed_ansible_test.py
	mkdir -p $(dir $@) && touch $@

## emulator: the ML API emulator in the foreground on 127.0.0.1:$(PORT)
emulator: install
	$(EMULATOR) --port $(PORT)

## demo: the lifecycle story of playbooks/demo.yml, against an emulator (or ELASTICSEARCH_HOSTS when set)
demo: install
	$(BIN)/python tests/tooling/run_demo.py

## docs: regenerate docs/modules and docs/roles from the plugins' own documentation
docs: install
	$(BIN)/python tests/tooling/render_docs.py

## bench: requests per operation, time to converge 100 and 500 jobs, per-task overhead (not part of test)
bench: install
	$(BIN)/python tests/tooling/bench.py

## sanity: ansible-test sanity on a copy laid out as ansible_collections/mlops/elasticsearch (no ignore files)
sanity: install
	rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_TREE)
	git ls-files -co --exclude-standard -z | tar --null --ignore-failed-read -cf - -T - 2>/dev/null | tar -x -C $(SANITY_TREE)
	cd $(SANITY_TREE) && PATH=$(BIN):$$PATH $(BIN)/ansible-test sanity --venv --python 3.11 --color no --verbose

## lint: ansible-lint, production profile
lint: install
	PATH=$(BIN):$$PATH $(BIN)/ansible-lint --profile production --offline

## community: antsibull-docs' lint of every plugin's documentation; the execution environment, with ansible-builder;
## the built tarball imported by galaxy-importer
community: install $(TOOLS_STAMP)
	PATH=$(CURDIR)/$(TOOLS)/bin:$$PATH $(TOOLS)/bin/antsibull-docs lint-collection-docs --plugin-docs $(LINK)
	$(TOOLS)/bin/ansible-builder introspect --sanitize $(COLLECTIONS) | grep -F 'requests>=2.25  # from collection mlops.elasticsearch'
	rm -rf .tmp/ee-context && $(TOOLS)/bin/ansible-builder create -f tests/ee/execution-environment.yml -c .tmp/ee-context
	test -f .tmp/ee-context/Dockerfile -o -f .tmp/ee-context/Containerfile
	rm -rf .tmp/galaxy && mkdir -p .tmp/galaxy && $(BIN)/ansible-galaxy collection build --output-path .tmp/galaxy .
	cd .tmp/galaxy && PATH=$(CURDIR)/$(TOOLS)/bin:$$PATH GALAXY_IMPORTER_CONFIG=$(CURDIR)/tests/packaging/galaxy-importer.cfg \
		$(CURDIR)/$(TOOLS)/bin/python -m galaxy_importer.main mlops-elasticsearch-*.tar.gz > importer.log 2>&1 \
		|| (cat importer.log; exit 1)
	grep -q "Importer processing completed successfully" .tmp/galaxy/importer.log
	! grep -E "^(WARNING|ERROR)" .tmp/galaxy/importer.log

## units: unit tests of module_utils and the emulator's conformance tests
units: install
	$(BIN)/pytest tests/unit tests/emulator/tests tests/kibana_emulator/tests

## integration: ansible-playbook runs of tests/integration/targets against the emulator (or ELASTICSEARCH_HOSTS)
integration: install
	$(BIN)/pytest tests/integration

## test: everything; ends with pytest's summary line
test: sanity lint community
	$(BIN)/pytest tests/unit tests/emulator/tests tests/kibana_emulator/tests tests/docs tests/packaging tests/integration

## matrix: sanity, units and integration on every ansible-core minor from 2.16 to the newest (not part of test)
matrix: install
	$(BIN)/python tests/tooling/matrix.py

clean:
	rm -rf .tmp $(SANITY_ROOT) $(COLLECTIONS) $(VENV) $(TOOLS) .matrix
