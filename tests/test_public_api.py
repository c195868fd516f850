"""The public authoring API is a contract: pin it (adding a name is a deliberate change)."""

import mcpgen


def test_exported_members_are_pinned() -> None:
    assert mcpgen.__all__ == [
        "Audio",
        "ClientInputError",
        "Connector",
        "ConnectorAuthError",
        "ConnectorError",
        "ConnectorSettings",
        "ConnectorUnavailable",
        "Context",
        "Credential",
        "Elicitation",
        "EmbeddedResource",
        "Health",
        "Image",
        "RateLimited",
        "ResourceLink",
        "Root",
        "Sampled",
        "ToolError",
        "__version__",
        "connector",
        "prompt",
        "resource",
        "tool",
    ]


def test_all_is_sorted_and_resolvable() -> None:
    assert mcpgen.__all__ == sorted(mcpgen.__all__)
    for name in mcpgen.__all__:
        assert getattr(mcpgen, name) is not None
