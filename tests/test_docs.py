"""The README is what newcomers read first: its lifecycle table must be the code's."""

from pathlib import Path

from assettrack.workflow import table_markdown

README = Path(__file__).parent.parent / "README.md"


def test_readme_shows_the_transition_table_the_code_enforces():
    assert table_markdown() in README.read_text(encoding="utf-8")
