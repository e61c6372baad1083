"""The `kd-grasp` contract: every verb answers --help, a bad option exits 2 with argparse's usage line,
and an expected failure (missing file, bad config) exits 1 with one line and no traceback."""

import pytest

from kd_grasp_ros.cli import SUBCOMMANDS, main
from kd_grasp_ros.common.errors import KdGraspError

VERBS = {
    "grasp": ["train", "distill", "speed", "eval", "agreement", "protocol", "bench", "card"],
    "depth": ["train", "distill", "eval", "bench", "card"],
    "sim": ["synth", "trials", "check-labels", "view"],
    "ur-emulator": [],
    "replay": [],
    "bench": [],
    "demo": [],
}
MISSING = "/nonexistent/kd-grasp-test"
BAD_INPUT = [  # (argv, what the one line names)
    (["grasp", "eval", "--model", "ggcnn", "--data", MISSING, "--out", f"{MISSING}.json"], MISSING),
    (["grasp", "card", "--checkpoint", f"{MISSING}.pt", "--eval", f"{MISSING}.json"], f"{MISSING}.json"),
    (["sim", "view", "--config", f"{MISSING}.yaml", "--out", f"{MISSING}.png"], f"{MISSING}.yaml"),
    (["sim", "trials", "--config", f"{MISSING}.yaml"], f"{MISSING}.yaml"),
    (["demo", "--config", f"{MISSING}.yaml"], f"{MISSING}.yaml"),
    (["bench", "--grasp-models", f"{MISSING}.pt", "--no-nodes", "--no-pipeline"], f"{MISSING}.pt"),
    (["replay", MISSING, "--offline", "--out", MISSING], MISSING),
]


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
    try:
        code = main(argv)
    except SystemExit as exit_info:  # verbs that answer bad values with SystemExit(message)
        code = 1 if isinstance(exit_info.code, str) else exit_info.code
        err = str(exit_info.code) if isinstance(exit_info.code, str) else capsys.readouterr().err
    else:
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
