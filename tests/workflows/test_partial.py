"""Which broken connector files declare themselves required (read from their text: they may not import)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpgen.workflows.partial import declares_required


@pytest.mark.parametrize(
    ("name", "text", "required"),
    [
        ("a.py", "@connector(name='a', required=True, auth='magic')\nclass A: ...\n", True),
        ("b.py", "@connector(name='b', required=False)\nclass B: ...\n", False),
        ("c.py", "@connector(name='c')\nclass C: ...\n", False),  # the default is not a declaration
        (
            "c2.py",
            "@connector(name='c', credentials=[Credential('K', required=True)])\nclass C: ...\n",
            False,
        ),
        (
            "c3.py",
            "@mcpgen.connector(name='c', required=True)\nclass C: ...\n",
            True,
        ),  # the default is not a declaration
        ("d.py", "metadata = {'name': 'd', 'required': True}\nclass D: ...\n", True),
        ("e.py", "metadata = {'name': 'e', 'credentials': [{'name': 'E_KEY', 'required': True}]}\n", False),
        ("f.py", "def broken(:\n", False),  # cannot be read: left out
        ("g.ts", "export default {\n  metadata: {\n    name: 'g',\n    required: true,\n  },\n};\n", True),
        (
            "h.ts",
            "export default { metadata: { name: 'h', credentials: [{ name: 'H', required: true }] } };\n",
            False,
        ),
    ],
)
def test_declares_required(tmp_path: Path, name: str, text: str, required: bool) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert declares_required(path) is required
