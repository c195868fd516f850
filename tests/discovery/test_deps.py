from __future__ import annotations

import sys

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from mcpgen.discovery.deps import Declared, merge, read_requirements_txt, read_script_deps, satisfiable

SCRIPT = """\
#!/usr/bin/env python
# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "httpx>=0.27",
#   "rich[jupyter]",
# ]
# ///
import httpx
"""


def declared(path: str, *reqs: str) -> list[Declared]:
    return [Declared(path, n, Requirement(r)) for n, r in enumerate(reqs, start=1)]


def test_reads_pep723_block_with_lines() -> None:
    deps = read_script_deps("tools/a.py", SCRIPT)
    assert deps.diagnostics == []
    assert [(d.path, d.line, str(d.requirement)) for d in deps.requirements] == [
        ("tools/a.py", 5, "httpx>=0.27"),
        ("tools/a.py", 6, "rich[jupyter]"),
    ]
    assert deps.requires_python == ">=3.11"


def test_no_block_declares_nothing() -> None:
    deps = read_script_deps("tools/a.py", "import os\n# dependencies = ['x']\n")
    assert deps.requirements == []
    assert deps.diagnostics == []
    assert deps.requires_python is None


def test_other_block_types_are_ignored() -> None:
    text = "# /// pyproject\n# dependencies = ['x']\n# ///\n"
    assert read_script_deps("tools/a.py", text).requirements == []


def test_invalid_requirement_reports_its_line() -> None:
    text = '# /// script\n# dependencies = [\n#   "ok>=1",\n#   "not a requirement!!",\n# ]\n# ///\n'
    deps = read_script_deps("tools/a.py", text)
    assert [str(d) for d in deps.requirements] == ["ok>=1"]
    (diag,) = deps.diagnostics
    assert (diag.code, diag.path, diag.line) == ("invalid-requirement", "tools/a.py", 4)
    assert diag.severity == "error"


def test_invalid_toml_reports_a_line_inside_the_block() -> None:
    text = "import os\n# /// script\n# dependencies = [\n#   oops\n# ]\n# ///\n"
    (diag,) = read_script_deps("tools/a.py", text).diagnostics
    assert diag.code == "invalid-metadata"
    assert diag.line is not None
    assert 3 <= diag.line <= 5


def test_dependencies_must_be_a_list_of_strings() -> None:
    text = '# /// script\n# dependencies = "httpx"\n# ///\n'
    (diag,) = read_script_deps("tools/a.py", text).diagnostics
    assert (diag.code, diag.line) == ("invalid-metadata", 2)


def test_two_script_blocks_are_an_error() -> None:
    text = "# /// script\n# dependencies = []\n# ///\n\n# /// script\n# dependencies = []\n# ///\n"
    (diag,) = read_script_deps("tools/a.py", text).diagnostics
    assert (diag.code, diag.line) == ("invalid-metadata", 5)


def test_invalid_requires_python() -> None:
    text = '# /// script\n# requires-python = "three"\n# ///\n'
    (diag,) = read_script_deps("tools/a.py", text).diagnostics
    assert (diag.code, diag.severity, diag.line) == ("invalid-metadata", "error", 2)


def test_requires_python_excluding_this_interpreter_warns() -> None:
    text = f'# /// script\n# requires-python = "<{sys.version_info[0]}"\n# ///\n'
    (diag,) = read_script_deps("tools/a.py", text).diagnostics
    assert (diag.code, diag.severity) == ("python-version", "warning")


def test_requirements_txt() -> None:
    text = "# shared\nhttpx>=0.27  # inline comment\n\n-r other.txt\nrich \\\n  >=13\nbad req ~~\n"
    deps = read_requirements_txt(text)
    assert [(d.path, d.line, str(d.requirement)) for d in deps.requirements] == [
        ("tools/requirements.txt", 2, "httpx>=0.27"),
        ("tools/requirements.txt", 5, "rich>=13"),
    ]
    assert [(d.code, d.severity, d.line) for d in deps.diagnostics] == [
        ("requirements-option", "warning", 4),
        ("invalid-requirement", "error", 7),
    ]


def test_merge_intersects_per_canonical_name_and_sorts() -> None:
    merged = merge(
        [
            *declared("tools/b.py", "Requests>=2.0", "zeta"),
            *declared("tools/a.py", "requests<3", "alpha[x]"),
            *declared("tools/c.py", "alpha[y]>=1"),
        ]
    )
    assert merged.diagnostics == []
    assert merged.requirements == ["alpha[x,y]>=1", "requests<3,>=2.0", "zeta"]


def test_merge_keeps_different_markers_apart() -> None:
    merged = merge(
        [
            *declared("tools/a.py", 'tomli>=2; python_version < "3.11"'),
            *declared("tools/b.py", "tomli<1"),
        ]
    )
    assert merged.diagnostics == []
    assert merged.requirements == ["tomli<1", 'tomli>=2; python_version < "3.11"']


def test_conflict_names_both_modules_and_specifiers() -> None:
    merged = merge([*declared("tools/new.py", "requests>=2.30"), *declared("tools/old.py", "requests<2.0")])
    (diag,) = merged.diagnostics
    assert (diag.code, diag.severity, diag.path, diag.line, diag.name) == (
        "dependency-conflict",
        "error",
        "tools/old.py",
        1,
        "requests",
    )
    for part in ("tools/new.py", "tools/old.py", "requests>=2.30", "requests<2.0"):
        assert part in diag.message


def test_unsatisfiable_single_requirement() -> None:
    (diag,) = merge(declared("tools/a.py", "x>2,<1")).diagnostics
    assert diag.code == "dependency-conflict"
    assert "never be satisfied" in diag.message


def test_three_way_conflict_without_a_conflicting_pair() -> None:
    merged = merge(
        [
            *declared("tools/a.py", "x>=1,!=1.5"),
            *declared("tools/b.py", "x<=1.5"),
            *declared("tools/c.py", "x>=1.5"),
        ]
    )
    (diag,) = merged.diagnostics
    assert all(p in diag.message for p in ("tools/a.py", "tools/b.py", "tools/c.py"))


def test_different_urls_conflict() -> None:
    merged = merge(
        [
            *declared("tools/a.py", "pkg @ https://example.com/pkg-1.whl"),
            *declared("tools/b.py", "pkg @ https://example.com/pkg-2.whl"),
        ]
    )
    assert [d.code for d in merged.diagnostics] == ["dependency-conflict"]


@pytest.mark.parametrize(
    ("specs", "expected"),
    [
        (">=2.30,<2.0", False),
        (">1.0,<1.1", True),
        (">1.0,<1.0.1", True),
        (">=1.0,<=1.0", True),
        (">1.0,<=1.0", False),
        ("==1.4.*,>=1.4.5", True),
        ("~=1.4.5,<1.4.5", False),
        ("~=1.4.5,!=1.4.*", False),
        ("!=1.*,>=1", True),
        ("!=1.0,>=1.0,<=1.0", False),
        ("==2.0,!=2.0", False),
        (">=2.0rc1,<=2.0rc1", True),
        ("<0.1", True),
        ("===weird", True),
        ("", True),
    ],
)
def test_satisfiable(specs: str, expected: bool) -> None:
    assert satisfiable(SpecifierSet(specs)) is expected
