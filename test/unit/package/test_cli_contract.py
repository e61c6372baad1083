"""The `kd-grasp` contract: every verb answers --help, a bad option exits 2 with argparse's usage line,
and an expected failure (missing file, bad config) exits 1 with one line and no traceback."""

import pytest

from kd_grasp_ros.cli import SUBCOMMANDS, main
from kd_grasp_ros.common.errors import KdGraspError

VERBS = {
    "grasp": ["train", "distill", "speed", "eval", "agreement", "protocol", "card"],
    "depth": ["train", "distill", "eval", "card", "sensor-stats"],
    "sim": ["synth", "check-labels", "view"],
    "ur-emulator": [],
    "replay": [],
    "bench": [],
    "demo": [],
    "trials": [],
}
MISSING = "/nonexistent/kd-grasp-test"
OUT = ["--out-dir", f"{MISSING}-out"]
CORNELL = ["--data", MISSING]
BAD_INPUT = [  # (argv, what the one line names): one per verb
    (["grasp", "train", *CORNELL, *OUT], MISSING),
    (["grasp", "distill", *CORNELL, "--teacher", "ggcnn", *OUT], MISSING),
    (["grasp", "speed", *CORNELL], MISSING),
    (["grasp", "eval", "--model", "ggcnn", *CORNELL, "--out", f"{MISSING}.json"], MISSING),
    (["grasp", "agreement", "--model", "ggcnn", "--teacher", "ggcnn", *CORNELL, "--out", "x.json"], MISSING),
    (["grasp", "protocol", "--model", "ggcnn", *CORNELL, "--out", f"{MISSING}.json"], MISSING),
    (["grasp", "card", "--checkpoint", f"{MISSING}.pt", "--eval", f"{MISSING}.json"], f"{MISSING}.json"),
    (["depth", "train", "--data", MISSING, *OUT], MISSING),
    (["depth", "distill", "--data", MISSING, "--teacher", f"{MISSING}.pt", *OUT], f"{MISSING}.pt"),
    (["depth", "eval", "--data", MISSING, "--out", f"{MISSING}.json"], MISSING),
    (["depth", "card", "--checkpoint", f"{MISSING}.pt", "--out", f"{MISSING}.json"], f"{MISSING}.pt"),
    (["depth", "sensor-stats", "--real", MISSING, "--out", f"{MISSING}.json"], MISSING),
    (["sim", "synth", "--config", f"{MISSING}.yaml", "--scenes", "1", *OUT], f"{MISSING}.yaml"),
    (["sim", "check-labels", "--config", f"{MISSING}.yaml"], f"{MISSING}.yaml"),
    (["sim", "view", "--config", f"{MISSING}.yaml", *OUT], f"{MISSING}.yaml"),
    (["ur-emulator", "--initial-q", "0", "0", "0", "0", "0", "nan"], "joint angles"),
    (["replay", MISSING, "--offline", "--out-dir", MISSING], MISSING),
    (["bench", "--grasp-models", f"{MISSING}.pt", "--no-nodes", "--no-pipeline"], f"{MISSING}.pt"),
    (["demo", "--config", f"{MISSING}.yaml"], f"{MISSING}.yaml"),
    (["trials", "--config", f"{MISSING}.yaml"], f"{MISSING}.yaml"),
]


def test_every_verb_has_a_bad_input_case():
    covered = {tuple(argv[:2]) if VERBS[argv[0]] else (argv[0],) for argv, _ in BAD_INPUT}
    wanted = {(c, v) for c, verbs in VERBS.items() for v in verbs} | {(c,) for c, v in VERBS.items() if not v}
    assert covered == wanted


def test_the_top_level_help_lists_every_command_and_verb(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert set(VERBS) == set(SUBCOMMANDS)
    for command, verbs in VERBS.items():
        assert command in text
        assert all(verb in text for verb in verbs), (command, verbs)


@pytest.mark.parametrize(
    "argv", [[c] for c in VERBS] + [[c, v] for c, verbs in VERBS.items() for v in verbs], ids=" ".join
)
def test_every_verb_answers_help(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    assert exit_info.value.code == 0
    assert "usage: kd-grasp" in capsys.readouterr().out


@pytest.mark.parametrize("command", sorted(VERBS))
def test_an_unknown_option_is_a_usage_error(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, *VERBS[command][:1], "--no-such-option"])
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "named"), BAD_INPUT, ids=[" ".join(a[:2]) for a, _ in BAD_INPUT])
def test_an_expected_failure_is_one_line_and_exit_1(argv, named, capsys):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 1
    lines = [line for line in err.splitlines() if line.strip() and "frame" not in line]
    assert len(lines) == 1 and named in lines[0] and "Traceback" not in err, err


def test_every_named_error_derives_from_the_root():
    import importlib
    import inspect
    import pkgutil

    import kd_grasp_ros

    orphans = []
    for info in pkgutil.walk_packages(kd_grasp_ros.__path__, "kd_grasp_ros."):
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                cls.__module__ == info.name
                and issubclass(cls, Exception)
                and not issubclass(cls, KdGraspError)
            ):
                orphans.append(f"{info.name}.{name}")
    assert orphans == []
