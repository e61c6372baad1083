# The two commands a new user needs. Both run the idempotent set-up first.
.PHONY: setup demo test lint

setup:
	bash scripts/setup.sh

demo: setup
	.venv/bin/kd-grasp demo

test: setup
	.venv/bin/python -m pytest -q --timeout=300

lint: setup
	.venv/bin/ruff check kd_grasp_ros test launch scripts setup.py
	.venv/bin/ruff format --check kd_grasp_ros test launch scripts setup.py
