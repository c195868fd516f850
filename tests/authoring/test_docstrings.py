from mcpgen.authoring.docstrings import parse


def test_google_style_with_continuation_and_other_sections() -> None:
    doc = parse(
        """Fetch a page.

        Longer explanation.

        Args:
            url: The address
                to fetch.
            timeout (float): Seconds to wait.

        Returns:
            The body.
        """
    )
    assert doc.description == "Fetch a page.\n\nLonger explanation."
    assert doc.params == {"url": "The address to fetch.", "timeout": "Seconds to wait."}


def test_numpy_style() -> None:
    doc = parse(
        """Add numbers.

        Parameters
        ----------
        a : int
            First addend.
        b : int
            Second addend,
            on two lines.

        Returns
        -------
        int
        """
    )
    assert doc.description == "Add numbers."
    assert doc.params == {"a": "First addend.", "b": "Second addend, on two lines."}


def test_credential_directives_are_not_description() -> None:
    doc = parse("Translate.\n\n:credential API_KEY: optional key\n")
    assert doc.description == "Translate."


def test_plain_and_empty() -> None:
    assert parse("Just text.").description == "Just text."
    assert parse(None).description == ""
