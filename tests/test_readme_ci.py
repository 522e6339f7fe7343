"""README quickstart and CI agree: two self-contained commands, and .ci/run runs exactly the second one."""

from __future__ import annotations

import os
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
CI_RUN = REPO / ".ci" / "run"

#: lines of .ci/run that are scaffolding, not the command itself
_CI_SCAFFOLDING = re.compile(r'^(#.*|set -[euxo pipefail]+|cd "\$\(dirname "\$0"\)/\.\."|python3 tests/system_packages\.py|)$')


def quickstart_commands(markdown: str) -> list[list[str]]:
    """The command lines of each fenced block in the '## Quickstart' section (comments and blanks dropped)."""
    match = re.search(r"^## Quickstart\s*$(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    assert match, "README has no '## Quickstart' section"
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", match.group(1), re.M | re.S)
    return [[line.strip() for line in block.splitlines() if line.strip() and not line.strip().startswith("#")] for block in blocks]


def ci_commands(script: str) -> list[str]:
    """The non-scaffolding lines of .ci/run."""
    return [line.strip() for line in script.splitlines() if not _CI_SCAFFOLDING.match(line.strip())]


def test_quickstart_has_exactly_two_one_line_commands() -> None:
    blocks = quickstart_commands(README.read_text(encoding="utf-8"))
    assert len(blocks) == 2, blocks
    assert all(len(block) == 1 for block in blocks), blocks


def test_first_command_installs_and_launches_the_demo() -> None:
    (first,), _ = quickstart_commands(README.read_text(encoding="utf-8"))
    assert first.startswith("python3 -m venv .venv && "), "must be self-contained on a fresh machine"
    assert " install " in first and " -e ." in first
    assert first.endswith("canary-tui demo")


def test_second_command_installs_the_test_extra_and_runs_pytest() -> None:
    _, (second,) = quickstart_commands(README.read_text(encoding="utf-8"))
    assert second.startswith("python3 -m venv .venv && ")
    assert "'.[test]'" in second
    assert " -m pytest -q" in second and second.endswith("-n 2")  # two workers: the suite is mostly waiting on loopback and subprocesses


def test_ci_runs_exactly_the_second_readme_command() -> None:
    _, (second,) = quickstart_commands(README.read_text(encoding="utf-8"))
    script = CI_RUN.read_text(encoding="utf-8")
    assert script.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in script, "a failing step must fail CI"
    assert ci_commands(script) == [second]
    assert os.access(CI_RUN, os.X_OK), ".ci/run must be executable"


def test_the_checker_catches_drift() -> None:
    """The comparison is not vacuous: a changed flag, an extra step or a third block are all seen."""
    _, (second,) = quickstart_commands(README.read_text(encoding="utf-8"))
    drifted = "#!/usr/bin/env bash\nset -euo pipefail\n" + second.replace("pytest -q", "pytest -x") + "\n"
    assert ci_commands(drifted) != [second]
    assert ci_commands(drifted + "echo done\n") != [second]
    three = "## Quickstart\n\n```bash\na\n```\n\n```bash\nb\n```\n\n```bash\nc\n```\n\n## Next\n\n```bash\nd\n```\n"
    assert quickstart_commands(three) == [["a"], ["b"], ["c"]]


def test_ci_installs_the_system_programs_the_tests_start_before_pytest() -> None:
    """Prometheus and Chromium come from Debian's packages; .ci/run installs them before the test command runs."""
    lines = [line.strip() for line in CI_RUN.read_text(encoding="utf-8").splitlines()]
    assert "python3 tests/system_packages.py" in lines
    _, (second,) = quickstart_commands(README.read_text(encoding="utf-8"))
    assert lines.index("python3 tests/system_packages.py") < lines.index(second)
