# make demo   set everything up, then grade the sample class folder (no network needed)
#             (make demo DATASETS=../shared/datasets grades it on the real MNIST instead)
# make test   set everything up, then run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# A second environment the course-environment tests run submissions under (scripts/make-course-env.sh).
COURSE_VENV ?= .venv-course
# Deterministic synthetic stand-ins by default: quick, and the same on every machine.
DATASETS ?= synthetic

.PHONY: setup system demo review test test-slow test-fast bench bench-tools clean

setup: system $(VENV)/.installed $(COURSE_VENV)/.installed

system:
	@./scripts/install-system-deps.sh

# Then the legacy (tf-keras) runtime: tf_keras matching TensorFlow's minor version, --no-deps because
# tf_keras requires the 'tensorflow' distribution, whose files would overwrite tensorflow-cpu's (GPU
# hosts install grader[tf-gpu,legacy] instead).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[tf,course,test,ray]'
	$(BIN)/python -m pip install -q --no-deps "tf_keras==$$($(BIN)/python -c 'from importlib import metadata as m; print(".".join(m.version("tensorflow-cpu").split(".")[:2]))').*"
	touch $@

$(COURSE_VENV)/.installed: $(VENV)/.installed scripts/make-course-env.sh
	./scripts/make-course-env.sh $(VENV) $(COURSE_VENV)
	touch $@

demo: setup
	$(BIN)/grader grade submissions/nn-basics-keras --rubric nn-basics-keras --datasets $(DATASETS) --out reports/demo

# The TA review page over the demo's grades (make review REVIEWER=you GRADES=reports/demo): 127.0.0.1 only, the
# URL it prints carries the token every request needs.
GRADES ?= reports/demo
review: setup
	$(BIN)/grader review $(GRADES) --reviewer "$(REVIEWER)"

# Everything but the real-data self-tests (about an hour on two cores: make test-slow).
test: setup
	$(BIN)/python -m pytest -m "not slow"

test-slow: setup
	$(BIN)/python -m pytest -m slow

test-fast: setup
	$(BIN)/python -m pytest -m "not tf and not slow"

bench: setup
	$(BIN)/python -m pip install -q -e '.[tf,course,test,ray,bench]'
	$(BIN)/python bench/run_all.py

# The grader against nbgrader's autograde and Otter's otter run on the same notebooks (15-25
# minutes). Installs both, once, each in its own environment under bench/.venvs/ (git-ignored).
bench-tools: setup
	$(BIN)/python -m pip install -q -e '.[tf,course,test,ray,bench]'
	$(BIN)/python bench/bench_tools.py

clean:
	rm -rf $(VENV) $(COURSE_VENV) build *.egg-info .pytest_cache
