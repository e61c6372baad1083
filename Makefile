# The two commands a new user needs. Both run the idempotent set-up first.
.PHONY: setup demo test test-fast lint

setup:
	bash scripts/setup.sh

demo: setup
	.venv/bin/kd-grasp demo

test: setup
	.venv/bin/python -m pytest -q --timeout=300

# The unit tier without the slow tests: modules on their own, well under a minute.
test-fast: setup
	.venv/bin/python -m pytest -q --timeout=120 test/unit -m "not slow"

lint: setup
	.venv/bin/ruff check kd_grasp_ros test launch scripts setup.py
	.venv/bin/ruff format --check kd_grasp_ros test launch scripts setup.py
