"""Every command the documentation shows runs with today's CLI, and everything it names exists.

Documents: README.md, docs/**/*.md and the area READMEs kd_grasp_ros/<area>/README.md (EXCLUDED says
which are left out and why). In fenced code blocks (bash, sh or no language), each logical line
(backslash continuations joined, comments stripped) that starts with `kd-grasp ` is
(a) run as `kd_grasp_ros.cli.main([...words..., "--help"])`, which must exit 0, and
(b) parsed whole by the real parser, built as `kd_grasp_ros.cli.main` builds it, without running the
    command: a drifted option, a bad value or a missing required argument fails, and so does an option
    argparse would only accept as an abbreviation (--out for --out-dir).
Inline code spans that start with `kd-grasp ` are mentions, often partial (`kd-grasp grasp card`), so
they get (a) and a check that every option they name exists. A fenced command with a placeholder
(`<...>`, `...`, `a|b`, an upper-case word such as N or DIR) is refused unless PLACEHOLDER_LINES
lists it. Also: every `make <target>` names a Makefile target, every `scripts/<x>.py` and
`python -m <module>` exists, every `ros2 launch kd_grasp_ros <file>` names a file in launch/ and only
arguments that file declares (read from the generated section of docs/launch.md), every repository
path in an inline code span exists, and every relative link (and its #anchor) resolves.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import io
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
from ros_helpers import REPO_ROOT

from kd_grasp_ros import cli

EXCLUDED = {
    # generated from JSON by scripts/update_readme_results.py: their commands record what was run
    "docs/results/bench.md": "generated",
    "docs/results/trials.md": "generated",
    "docs/results/faults.md": "generated",
}
# Fenced `kd-grasp` lines allowed to keep a placeholder (each one is then only checked like a mention).
PLACEHOLDER_LINES: set[str] = set()
SHELL_LANGUAGES = {"", "bash", "sh", "shell", "console"}
PATH_PREFIXES = ("kd_grasp_ros", "test", "config", "launch", "scripts", "docs", "models")


def documents() -> list[Path]:
    found = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").rglob("*.md"))]
    found += sorted((REPO_ROOT / "kd_grasp_ros").glob("*/README.md"))
    return [p for p in found if p.relative_to(REPO_ROOT).as_posix() not in EXCLUDED]


@dataclass(frozen=True)
class Snippet:
    doc: str  # path relative to the repository
    line: int
    text: str
    fenced: bool

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"


@dataclass
class Document:
    path: Path
    fenced: list[Snippet]  # logical lines of shell code blocks
    prose: str  # the text with every fenced line blanked (line numbers kept)
    headings: list[str]


def read_document(path: Path) -> Document:
    rel = path.relative_to(REPO_ROOT).as_posix()
    lines = path.read_text().splitlines()
    fenced, prose, headings = [], [], []
    fence, language, pending, start = None, "", "", 0
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if fence is None and stripped[:3] in ("```", "~~~"):
            fence, language = stripped[:3], stripped[3:].strip().lower()
            prose.append("")
            continue
        if fence is not None:
            prose.append("")
            if stripped.startswith(fence):
                fence = None
            elif language in SHELL_LANGUAGES:
                if not pending:
                    start = number
                if stripped.endswith("\\"):
                    pending += stripped[:-1] + " "
                else:
                    fenced.append(Snippet(rel, start, pending + stripped, True))
                    pending = ""
            continue
        prose.append(line)
        if line.startswith("#"):
            headings.append(line.lstrip("#").strip())
    return Document(path, fenced, "\n".join(prose), headings)


DOCUMENTS = [read_document(p) for p in documents()]


def inline_spans(doc: Document) -> list[Snippet]:
    rel = doc.path.relative_to(REPO_ROOT).as_posix()
    return [
        Snippet(rel, doc.prose.count("\n", 0, m.start()) + 1, " ".join(m.group(1).split()), False)
        for m in re.finditer(r"`([^`]+)`", doc.prose)
    ]


INLINE = [span for doc in DOCUMENTS for span in inline_spans(doc)]


def words_of(text: str) -> list[str]:
    """The words of a shell line, without comments, leading VAR=value and a .venv/bin/ prefix, cut at
    the first && ; | or redirection."""
    try:
        words = shlex.split(text, comments=True)
    except ValueError:
        return []
    while words and re.fullmatch(r"[A-Za-z_]\w*=\S*", words[0]):
        words = words[1:]
    if words and words[0].startswith(".venv/bin/"):
        words[0] = words[0][len(".venv/bin/") :]
    for i, word in enumerate(words):
        if word in ("&&", "||", ";", "|", ">", ">>", "2>&1"):
            return words[:i]
    return words


def is_placeholder(word: str) -> bool:
    return bool(re.search(r"[<>{}\[\]|]|\.\.\.", word)) or bool(re.fullmatch(r"[A-Z][A-Z_]*[:,.]?", word))


def kd_grasp_commands(snippets: list[Snippet]) -> list[tuple[Snippet, list[str]]]:
    out = []
    for snippet in snippets:
        words = words_of(snippet.text)
        if words[:1] == ["kd-grasp"] and len(words) > 1:
            out.append((snippet, words[1:]))
    return out


FENCED_COMMANDS = kd_grasp_commands([s for doc in DOCUMENTS for s in doc.fenced])
COMPLETE = [
    (s, w)
    for s, w in FENCED_COMMANDS
    if not any(map(is_placeholder, w)) and " ".join(w) not in PLACEHOLDER_LINES
]
MENTIONS = kd_grasp_commands(INLINE) + [(s, w) for s, w in FENCED_COMMANDS if (s, w) not in COMPLETE]


def command_parser(command: str) -> argparse.ArgumentParser:
    """The parser of one `kd-grasp COMMAND`, built as kd_grasp_ros.cli.main builds it."""
    module_name, help_text = cli.SUBCOMMANDS[command]
    parser = argparse.ArgumentParser(prog=f"kd-grasp {command}", description=help_text)
    importlib.import_module(module_name).add_arguments(parser)
    return parser


def verb_parsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def exit_code(call) -> tuple[int | None, str]:
    """Run call() with stdout and stderr captured: (SystemExit code or None, captured text)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            call()
        except SystemExit as exc:
            return exc.code, out.getvalue()
    return None, out.getvalue()


def check_help(words: list[str]) -> None:
    code, text = exit_code(lambda: cli.main([*words, "--help"]))
    assert code == 0, f"kd-grasp {shlex.join(words)} --help exited {code}:\n{text}"


def snippet_id(item) -> str:
    return item[0].where


def test_the_documents_have_commands_to_check():
    assert len(DOCUMENTS) >= 15 and len(COMPLETE) >= 30 and len(INLINE) > 100


@pytest.mark.parametrize("snippet,words", COMPLETE, ids=[snippet_id(c) for c in COMPLETE])
def test_a_fenced_command_answers_help_and_parses(snippet, words):
    check_help(words)
    if words[0] not in cli.SUBCOMMANDS or "--help" in words or "-h" in words:
        return
    parser = command_parser(words[0])
    code, text = exit_code(lambda: parser.parse_args(words[1:]))
    assert code is None, f"{snippet.where}: `kd-grasp {shlex.join(words)}` does not parse:\n{text}"
    check_option_names(snippet, words)


def test_fenced_commands_are_concrete():
    vague = [f"{s.where}: {s.text}" for s, w in FENCED_COMMANDS if (s, w) not in COMPLETE]
    unlisted = [v for v in vague if v.split(": ", 1)[1] not in PLACEHOLDER_LINES]
    assert not unlisted, "write these commands with real values (or list them in PLACEHOLDER_LINES):\n" + (
        "\n".join(unlisted)
    )


def command_path(words: list[str]) -> list[str]:
    """The words before the first option or placeholder: command, verb, positional arguments."""
    path = []
    for word in words:
        if word.startswith("-") or is_placeholder(word):
            break
        path.append(word)
    return path


def check_option_names(snippet: Snippet, words: list[str]) -> None:
    """Every option the words name is an option of the command (or its verb) spelled out in full:
    argparse would accept an abbreviation such as --out for --out-dir, the documentation should not."""
    path = command_path(words)
    if not path or path[0] not in cli.SUBCOMMANDS:
        return
    parsers = [command_parser(path[0])]
    verbs = verb_parsers(parsers[0])
    if len(path) > 1 and path[1] in verbs:
        parsers = [verbs[path[1]]]
    elif verbs:  # no verb named: an option of any verb will do
        parsers = list(verbs.values())
    known = {option for p in parsers for option in p._option_string_actions}
    if "--ros-args" in words:  # what follows goes to rclpy (kd-grasp replay)
        words = words[: words.index("--ros-args") + 1]
    named = {w.split("=", 1)[0] for w in words if re.match(r"--?[A-Za-z]", w)}
    assert named <= known, f"{snippet.where}: `{snippet.text}` names unknown options {sorted(named - known)}"


@pytest.mark.parametrize("snippet,words", MENTIONS, ids=[snippet_id(m) for m in MENTIONS])
def test_a_mentioned_command_and_its_options_exist(snippet, words):
    path = command_path(words)
    if path:
        check_help(path)
    check_option_names(snippet, words)


def test_the_readme_shows_every_command_and_verb():
    readme = [w for s, w in COMPLETE if s.doc == "README.md"]
    wanted = set()
    for command in cli.SUBCOMMANDS:
        verbs = verb_parsers(command_parser(command))
        wanted |= {(command, v) for v in verbs} if verbs else {(command, None)}
    shown = {(w[0], w[1] if len(w) > 1 and not w[1].startswith("-") else None) for w in readme}
    shown |= {(w[0], None) for w in readme}
    assert wanted <= shown, f"README.md shows no command line for {sorted(wanted - shown, key=str)}"


def code_text(doc: Document) -> list[Snippet]:
    return [*doc.fenced, *inline_spans(doc)]


def test_every_make_target_exists():
    targets = set(re.findall(r"^([A-Za-z][\w-]*)\s*:", (REPO_ROOT / "Makefile").read_text(), re.M))
    used = [
        (s.where, w[1])
        for doc in DOCUMENTS
        for s in code_text(doc)
        if (w := words_of(s.text))[:1] == ["make"] and len(w) > 1
    ]
    assert used
    missing = [f"{where}: make {target}" for where, target in used if target not in targets]
    assert not missing, "no such Makefile target:\n" + "\n".join(missing)


def test_every_script_and_module_exists():
    missing, seen = [], 0
    for doc in DOCUMENTS:
        for s in code_text(doc):
            for script in re.findall(r"\bscripts/[\w.-]+\.py\b", s.text):
                seen += 1
                if not (REPO_ROOT / script).is_file():
                    missing.append(f"{s.where}: {script}")
            for module in re.findall(r"\bpython3? -m ([\w.]+)", s.text):
                seen += 1
                if importlib.util.find_spec(module) is None:
                    missing.append(f"{s.where}: python -m {module}")
    assert seen and not missing, "\n".join(missing)


def launch_arguments() -> dict[str, set[str]]:
    """{launch file: its argument names}, from the generated section of docs/launch.md."""
    text = (REPO_ROOT / "docs" / "launch.md").read_text()
    section = text.split("<!-- launch-arguments:begin", 1)[1].split("<!-- launch-arguments:end -->")[0]
    found = {}
    for name, block in re.findall(r"`([\w.]+\.launch\.py)`:\s*```text\n(.*?)```", section, re.S):
        found[name] = set(re.findall(r"^\s+'(\w+)':$", block, re.M))
    return found


def test_every_ros2_launch_names_a_launch_file_and_its_arguments():
    declared = launch_arguments()
    assert set(declared) == {p.name for p in (REPO_ROOT / "launch").glob("*.launch.py")}
    problems, seen = [], 0
    for doc in DOCUMENTS:
        for s in code_text(doc):
            for m in re.finditer(r"ros2 launch kd_grasp_ros (\S+)(.*)", s.text):
                name = m.group(1)
                if is_placeholder(name):
                    continue
                seen += 1
                if name not in declared:
                    problems.append(f"{s.where}: no launch/{name}")
                    continue
                unknown = set(re.findall(r"(\w+):=", m.group(2))) - declared[name]
                if unknown:
                    problems.append(f"{s.where}: {name} declares no {sorted(unknown)}")
    assert seen and not problems, "\n".join(problems)


def test_every_repository_path_in_the_prose_exists():
    pattern = re.compile(rf"(?:{'|'.join(PATH_PREFIXES)})/[\w./*-]*")
    missing, seen = [], 0
    for doc in DOCUMENTS:
        for s in inline_spans(doc):
            if not pattern.fullmatch(s.text):
                continue
            seen += 1
            if not any(REPO_ROOT.glob(s.text.rstrip("/"))):
                missing.append(f"{s.where}: {s.text}")
    assert seen and not missing, "no such file or folder:\n" + "\n".join(missing)


def slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    text = heading.replace("`", "").strip().lower()
    return "".join(c for c in text if c.isalnum() or c in "-_ ").replace(" ", "-")


def test_every_relative_link_and_anchor_resolves():
    anchors = {doc.path: {slug(h) for h in doc.headings} for doc in DOCUMENTS}
    problems, seen = [], 0
    for doc in DOCUMENTS:
        prose = re.sub(r"`[^`]*`", "", doc.prose)
        for m in re.finditer(r"\]\(([^)\s]+)\)", prose):
            target = m.group(1)
            if re.match(r"[a-z]+:", target):
                continue
            seen += 1
            where = f"{doc.path.relative_to(REPO_ROOT)}:{prose.count(chr(10), 0, m.start()) + 1}"
            file_part, _, anchor = target.partition("#")
            path = (doc.path.parent / file_part).resolve() if file_part else doc.path
            if not path.exists():
                problems.append(f"{where}: {target} does not exist")
            elif anchor and path.suffix == ".md":
                known = anchors.get(path) or {slug(h) for h in read_document(path).headings}
                if anchor not in known:
                    problems.append(f"{where}: {target} has no heading #{anchor}")
    assert seen and not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "line",
    [
        "sim synth --scenes 3 --out /tmp/x",  # an abbreviation argparse would accept
        "depth eval --data d --out-json x.json",  # a renamed option
        "grasp eval --model m --data d",  # a missing required argument
        "demo --trials",  # a removed option
        "grasp bench",  # a removed verb
        "trials --n many",  # a bad value
    ],
)
def test_the_checks_catch_a_drifted_command(line):
    with pytest.raises(AssertionError):
        test_a_fenced_command_answers_help_and_parses(Snippet("example.md", 1, line, True), line.split())
