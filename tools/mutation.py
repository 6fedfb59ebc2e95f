"""Mutation testing for Bridges: how many small deliberate bugs does the test suite catch?

Usage (from the repository root, after `pip install -e '.[test,mutation]'`):

    python tools/mutation.py domain            # bot/domain, with the unit tests
    python tools/mutation.py db services       # bot/db and bot/services, unit + integration tests (slow)
    python tools/mutation.py services --file bot/services/privacy.py   # one file only (repeatable)
    python tools/mutation.py --report domain   # print the last figures without running anything
    python tools/mutation.py --survivors db    # also list each surviving mutant (see `mutmut show <name>`)

Targets run mutmut (configured in pyproject.toml, [tool.mutmut]) in a scratch copy of the project per
test selection (`.mutation/unit/` for domain, `.mutation/full/` for db and services), so each keeps its
own cache: a second run retests survivors and changed functions, not mutants already killed. The command
prints, per file, killed / total and the score, and exits 1 when a file is under its target (85% for
bot/domain, 75% for bot/db and bot/services). Not part of CI: it is slow. Tests that start the bot as a
separate process are left out of these runs (see NOT_TRACEABLE).

A mutant counts as caught when a test failed or timed out; "no tests" and survivors count against the
score. A survivor that only changes the letter case of SQL or of a sqlite3.Row key is shown as equivalent
and not counted (SQLite ignores that case; text in single quotes must be unchanged). Files with no mutants (empty `__init__.py`) are not listed.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutation"

# What a scratch copy needs to run the tests.
COPY = [
    "bot",
    "cogs",
    "tests",
    "benchmarks",
    "pyproject.toml",
    "README.md",
    "config.example.env",
    "deploy",
    ".ci",
]


@dataclass(frozen=True)
class Target:
    package: str
    minimum: float  # percent of mutants that must be caught, per file
    tests: tuple[str, ...]


TARGETS = {
    "domain": Target("bot/domain", 85.0, ("tests/unit",)),
    "db": Target("bot/db", 75.0, ("tests/unit", "tests/integration")),
    "services": Target("bot/services", 75.0, ("tests/unit", "tests/integration")),
}

# Tests that start the bot as another process: the mutated copy cannot be traced across processes.
NOT_TRACEABLE = [
    "--ignore=tests/integration/test_crash.py",
    "--ignore=tests/unit/test_determinism.py",
    "--deselect=tests/integration/test_errors_and_signals.py::test_sigterm_stops_the_process_cleanly",
    "--deselect=tests/integration/test_errors_and_signals.py::test_sync_command_forces_a_sync_each_time",
    "--deselect=tests/integration/test_errors_and_signals.py::test_a_refused_token_is_one_clear_line",
    "--deselect=tests/unit/test_backup.py::test_cli_backup_while_the_bot_holds_a_write_transaction",
    "--deselect=tests/unit/test_config.py::test_migrate_then_backup",
]

# mutmut's exit codes per mutant (mutmut/stats.py): 1 and 3 = a test failed, timeouts = caught too.
CAUGHT = {1, 3, 36, -24, 24, 152, 255, 37}
SURVIVED = {0}
NO_TESTS = {33, 5}
SKIPPED = {34}


@dataclass
class FileScore:
    path: str
    killed: int
    survived: list[str]
    no_tests: list[str]
    unchecked: int
    equivalent: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.killed + len(self.survived) + len(self.no_tests) + self.unchecked

    @property
    def percent(self) -> float:
        return 100.0 * self.killed / self.total if self.total else 100.0


def _prepare(name: str) -> Path:
    workspace = WORK / name
    workspace.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis")
    for entry in COPY:
        source = ROOT / entry
        target = workspace / entry
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, target)
    return workspace


def _workspace(name: str) -> str:
    """Targets run with the same tests share a scratch copy (and so one mutmut run and one stats pass)."""
    return "unit" if TARGETS[name].tests == ("tests/unit",) else "full"


def _module(path: str) -> str:
    """bot/domain/calendar.py -> bot.domain.calendar (the prefix of mutmut's names for its mutants)."""
    return path.removesuffix(".py").replace("/", ".")


def _inner(names: list[str], files: list[str]) -> None:
    """Runs inside the scratch copy: mutmut on these targets' files, with their tests.

    Every package of the scratch copy is mutated each time, so mutmut's record of which tests reach which
    function (its stats, the slow first step) always covers all of them; `--file` only narrows which
    mutants are run, and which tests the clean run before them needs."""
    from mutmut import __main__ as mutmut_main  # sets the fork start method
    from mutmut import configuration
    from mutmut.state import state

    workspace = _workspace(names[0])
    cfg = configuration.config()
    cfg.only_mutate = _mutated_patterns(workspace)
    cfg.pytest_add_cli_args_test_selection = [*TARGETS[names[0]].tests, *NOT_TRACEABLE]
    wanted = files or [f"{TARGETS[name].package}/*" for name in names]

    def chosen(path: object) -> bool:
        return any(fnmatch(str(path), pattern) for pattern in wanted)

    collect = mutmut_main.collect_source_file_mutation_data
    tests_for = mutmut_main.tests_for_mutant_names

    def only_chosen(*, mutant_names):
        mutants, by_path = collect(mutant_names=mutant_names)
        return [m for m in mutants if chosen(m[0].path)], by_path

    def clean_tests(mutant_names):
        if mutant_names:
            return tests_for(mutant_names)
        modules = {_module(str(path)) for path in by_path_of_chosen()}
        return {
            test
            for name, tests in state().tests_by_mangled_function_name.items()
            if name.rsplit(".", 1)[0] in modules
            for test in tests
        }

    def by_path_of_chosen():
        return [path for path in Path(".").glob("bot/**/*.py") if chosen(path)]

    mutmut_main.collect_source_file_mutation_data = only_chosen
    mutmut_main.tests_for_mutant_names = clean_tests
    _patient_wall_clock()
    mutmut_main._run((), None)


# mutmut stops a mutant's tests after (measured time + timeout_constant) x timeout_multiplier seconds of wall-clock
# time, and after twice that of CPU time. On a machine shared with other runs the wall clock runs several times
# slower than the measurement, and a healthy mutant would be stopped and counted as caught (one was, after 18 s
# under load): the wall-clock limit is made this many times longer, so that the CPU-time limit (which other
# processes do not stretch) decides.
WALL_CLOCK_SLACK = 8


def _patient_wall_clock() -> None:
    from mutmut.workers import isolation

    register = isolation.register_timeout

    def patient(pid: int, timeout_s: float) -> None:
        register(pid, timeout_s * WALL_CLOCK_SLACK)

    isolation.register_timeout = patient


def _mutated_patterns(workspace: str) -> list[str]:
    return [f"{t.package}/*" for name, t in sorted(TARGETS.items()) if _workspace(name) == workspace]


def _keep_caches_consistent(workspace: Path, name: str) -> None:
    """Drop what mutmut would wrongly reuse.

    mutmut takes a file under mutants/ that is newer than its source for an already mutated one, so a plain
    copy left there (by a run that mutated other files) would never be mutated again: such copies are
    removed and mutmut writes them again (it keeps the verdicts of functions whose code did not change).
    Its stats (which tests reach which function) only cover the files it mutated when they were collected:
    when that set changes, they are dropped and collected again."""
    mutants = workspace / "mutants"
    for pattern in _mutated_patterns(name):
        for path in (mutants / pattern.removesuffix("/*")).rglob("*.py"):
            if "mutmut generated" not in path.read_text("utf-8"):
                path.unlink()
    marker = workspace / "stats-cover.json"
    patterns = json.dumps(_mutated_patterns(name))
    if not marker.exists() or marker.read_text("utf-8") != patterns:
        (mutants / "mutmut-stats.json").unlink(missing_ok=True)
        marker.write_text(patterns, "utf-8")


def _retry_survivors(workspace: Path) -> None:
    """Cached verdicts are kept for killed mutants only: survivors are tried again, against new tests too."""
    for meta in (workspace / "mutants" / "bot").rglob("*.py.meta"):
        data = json.loads(meta.read_text("utf-8"))
        codes = data.get("exit_code_by_key", {})
        if any(code in SURVIVED | NO_TESTS for code in codes.values()):
            data["exit_code_by_key"] = {k: None if c in SURVIVED | NO_TESTS else c for k, c in codes.items()}
            meta.write_text(json.dumps(data, indent=4), "utf-8")


def _run(names: list[str], files: list[str]) -> int:
    workspace = _prepare(_workspace(names[0]))
    _keep_caches_consistent(workspace, _workspace(names[0]))
    _retry_survivors(workspace)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    command = [sys.executable, str(Path(__file__).resolve()), "--inner", *names]
    command += [arg for f in files for arg in ("--file", f)]
    return subprocess.call(command, cwd=workspace, env=env)


# A surviving mutant that only changes the letter case of SQL (keywords and names; not the text in '...')
# or of a sqlite3.Row key (row["status"] vs row["STATUS"]) is equivalent: SQLite and sqlite3.Row ignore
# that case. Such survivors are listed apart and left out of the score; nothing else is.
_SQL = re.compile(
    r'"\s*(SELECT|INSERT|UPDATE|DELETE|WHERE|AND|OR|FROM|JOIN|ORDER|GROUP|VALUES|SET|ON)\b', re.I
)
_ROW_KEY = re.compile(r'\[\s*"[A-Za-z_]+"\s*\]')


def _case_only(before: str, after: str) -> bool:
    if before == after or before.lower() != after.lower():
        return False
    if re.findall(r"'[^']*'", before) != re.findall(r"'[^']*'", after):
        return False
    if _SQL.search(before) or _SQL.search(after):
        return True
    lower_keys = lambda line: _ROW_KEY.sub(lambda m: m.group(0).lower(), line)  # noqa: E731
    return lower_keys(before) == lower_keys(after)


def _functions(source: Path) -> dict[str, str]:
    """Each mutmut function's body (the lines after its `def`), by name. Sliced from the lines directly:
    ast.get_source_segment reads the whole file again for each of the thousand functions of a large file."""
    text = source.read_text("utf-8")
    lines = text.splitlines(keepends=True)
    found = {}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and "__mutmut_" in node.name:
            found[node.name] = "".join(lines[node.lineno : node.end_lineno])
    return found


def _is_equivalent(functions: dict[str, str], key: str) -> bool:
    name = key.rsplit(".", 1)[1]
    original = functions.get(re.sub(r"__mutmut_\d+$", "__mutmut_orig", name))
    mutant = functions.get(name)
    if original is None or mutant is None:
        return False
    a, b = original.splitlines(), mutant.splitlines()
    changes = [op for op in difflib.SequenceMatcher(a=a, b=b).get_opcodes() if op[0] != "equal"]
    return bool(changes) and all(
        tag == "replace"
        and i2 - i1 == j2 - j1
        and all(_case_only(a[i], b[j]) for i, j in zip(range(i1, i2), range(j1, j2), strict=True))
        for tag, i1, i2, j1, j2 in changes
    )


def scores(name: str) -> list[FileScore]:
    target = TARGETS[name]
    folder = WORK / _workspace(name) / "mutants" / target.package
    result = []
    for meta in sorted(folder.glob("*.py.meta")):
        data = json.loads(meta.read_text("utf-8"))
        codes: dict[str, int | None] = data.get("exit_code_by_key", {})
        if not codes:
            continue
        score = FileScore(f"{target.package}/{meta.name.removesuffix('.meta')}", 0, [], [], 0)
        functions: dict[str, str] | None = None
        for key, code in sorted(codes.items()):
            if code in CAUGHT:
                score.killed += 1
            elif code in SURVIVED:
                if functions is None:
                    functions = _functions(meta.with_suffix(""))
                if _is_equivalent(functions, key):
                    score.equivalent.append(key)
                else:
                    score.survived.append(key)
            elif code in NO_TESTS:
                score.no_tests.append(key)
            elif code in SKIPPED:
                continue
            else:
                score.unchecked += 1
        result.append(score)
    return result


def report(name: str, *, survivors: bool, only: list[str] | None = None) -> bool:
    target = TARGETS[name]
    files = [s for s in scores(name) if not only or any(fnmatch(s.path, f) for f in only)]
    if not files:
        print(f"{name}: no results yet (run `python tools/mutation.py {name}`)")
        return not only
    ok = True
    print(f"{target.package} (target {target.minimum:.0f}%, tests: {' '.join(target.tests)})")
    for score in files:
        passed = score.percent >= target.minimum
        ok = ok and passed
        extra = []
        if score.survived:
            extra.append(f"{len(score.survived)} survived")
        if score.no_tests:
            extra.append(f"{len(score.no_tests)} no tests")
        if score.unchecked:
            extra.append(f"{score.unchecked} not checked")
        if score.equivalent:
            extra.append(f"{len(score.equivalent)} equivalent (letter case of SQL), not counted")
        mark = "ok " if passed else "LOW"
        print(
            f"  {mark} {score.path:32} {score.killed:4} / {score.total:<4} {score.percent:5.1f}%"
            f"  {', '.join(extra)}"
        )
        if survivors:
            for key in score.survived + score.no_tests:
                print(f"        {key}")
    killed = sum(s.killed for s in files)
    total = sum(s.total for s in files)
    print(f"      {'all':32} {killed:4} / {total:<4} {100.0 * killed / max(total, 1):5.1f}%")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("targets", nargs="+", choices=sorted(TARGETS))
    parser.add_argument("--report", action="store_true", help="print the last results, run nothing")
    parser.add_argument("--survivors", action="store_true", help="list surviving mutants by name")
    parser.add_argument(
        "--file",
        action="append",
        default=[],
        metavar="PATH",
        help="mutate only this file (repeatable; a glob such as bot/db/privacy.py), for a quicker partial run",
    )
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner:
        _inner(args.targets, args.file)
        return 0
    ok = True
    if not args.report:
        groups: dict[str, list[str]] = {}
        for name in dict.fromkeys(args.targets):
            groups.setdefault(_workspace(name), []).append(name)
        for names in groups.values():
            wanted = [f for f in args.file if any(f.startswith(TARGETS[n].package + "/") for n in names)]
            if args.file and not wanted:
                continue
            code = _run(names, wanted)
            if code != 0:
                print(f"{' '.join(names)}: mutmut stopped with exit code {code}")
                ok = False
    for name in dict.fromkeys(args.targets):
        ok = report(name, survivors=args.survivors, only=args.file) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
