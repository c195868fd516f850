"""server.json for the MCP Registry, checked with jsonschema against the registry's schema
(vendored, version 2025-12-11), and the image label that ties the OCI package to it."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
from build_support import NOW

from mcpgen.build.plan import BuildOptions, PythonTarget, make_plan
from mcpgen.build.server_json import (
    LABEL,
    SCHEMA_URL,
    check_server_json,
    registry_name,
    schema,
    server_json,
)
from mcpgen.config.project import ProjectFile
from mcpgen.manifest import Credential, Manifest
from mcpgen.workflows.credentials import is_masked


def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def project(**fields: Any) -> ProjectFile:
    return ProjectFile.model_validate({"name": "demo", "version": "1.2.0", **fields})


def with_credentials(manifest: Manifest) -> Manifest:
    return manifest.model_copy(
        update={
            "credentials": [
                Credential(
                    name="API_KEY", kind="api_key", description="The service key", declared_by=["tools/t.py"]
                ),
                Credential(
                    name="REGION",
                    kind="string",
                    choices=("eu", "us"),
                    required=False,
                    declared_by=["tools/t.py"],
                ),
                Credential(name="OAUTH_TOKEN", kind="token", when="AUTH=oauth", declared_by=["tools/t.py"]),
            ]
        }
    )


def build(manifest: Manifest, **fields: Any) -> dict[str, Any]:
    return server_json(
        project(**fields), manifest, image="ghcr.io/acme/demo:v1.2.0", is_secret=is_masked, auth=True
    ).data


def test_schema_is_the_2025_12_11_registry_schema() -> None:
    assert schema()["$id"] == SCHEMA_URL
    jsonschema.Draft202012Validator.check_schema(schema())


def test_a_full_entry_is_valid(manifest: Manifest) -> None:
    data = build(
        with_credentials(manifest),
        description="Echo and add",
        registry={
            "name": "io.github.acme/demo",
            "url": "https://mcp.acme.dev/mcp",
            "pypi": "acme-demo-mcp",
            "repository": "https://github.com/acme/demo",
            "website": "https://acme.dev/demo",
        },
    )
    validator().validate(data)
    assert check_server_json(data) == []
    assert data["$schema"] == SCHEMA_URL
    assert data["name"] == "io.github.acme/demo"
    assert (data["version"], data["description"]) == ("1.2.0", "Echo and add")
    assert data["repository"] == {"url": "https://github.com/acme/demo", "source": "github"}
    oci, pypi = data["packages"]
    assert (oci["registryType"], oci["identifier"]) == ("oci", "ghcr.io/acme/demo:v1.2.0")
    assert oci["transport"] == {"type": "stdio"}
    assert (pypi["registryType"], pypi["identifier"], pypi["version"]) == ("pypi", "acme-demo-mcp", "1.2.0")
    env = {e["name"]: e for e in oci["environmentVariables"]}
    assert env["API_KEY"] == {
        "name": "API_KEY",
        "description": "The service key",
        "isRequired": True,
        "isSecret": True,
        "format": "string",
    }
    assert env["REGION"]["isSecret"] is False
    assert env["REGION"]["choices"] == ["eu", "us"]
    assert env["OAUTH_TOKEN"]["isRequired"] is False  # only when AUTH=oauth
    (remote,) = data["remotes"]
    assert (remote["type"], remote["url"]) == ("streamable-http", "https://mcp.acme.dev/mcp")
    assert remote["headers"][0]["name"] == "Authorization"
    assert remote["headers"][0]["isSecret"] is True


def test_the_schema_refuses_what_the_registry_refuses(manifest: Manifest) -> None:
    good = build(manifest, registry={"name": "io.github.acme/demo", "url": "https://mcp.acme.dev/mcp"})
    broken = {
        "name": {**good, "name": "no-slash"},
        "description": {**good, "description": "x" * 101},
        "package version": {**good, "packages": [{**good["packages"][0], "version": "latest"}]},
        "remote url": {**good, "remotes": [{"type": "streamable-http", "url": "ftp://x"}]},
        "missing version": {k: v for k, v in good.items() if k != "version"},
    }
    for why, data in broken.items():
        assert not validator().is_valid(data), why
        assert check_server_json(data), why


def test_no_remote_without_a_url_and_no_auth_header_without_auth(manifest: Manifest) -> None:
    data = build(manifest, registry={"name": "io.github.acme/demo"})
    assert "remotes" not in data
    open_server = server_json(
        project(registry={"url": "https://x.dev/mcp"}), manifest, image="a/b:v1", is_secret=is_masked
    ).data
    assert "headers" not in open_server["remotes"][0]


def test_the_name_from_config_from_the_registry_or_a_placeholder_with_a_warning() -> None:
    assert registry_name(project(registry={"name": "io.github.acme/x"})).warning is None
    derived = registry_name(project(build={"registry": "ghcr.io/acme-corp/images"}))
    assert derived.name == "io.github.acme-corp/demo"
    assert derived.warning
    assert "registry.name is not set" in derived.warning
    placeholder = registry_name(project())
    assert placeholder.name == "io.github.your-github-user/demo"
    assert placeholder.warning
    assert "refuses" in placeholder.warning


def test_a_long_description_is_shortened_with_a_warning(manifest: Manifest) -> None:
    entry = server_json(project(description="word " * 40), manifest, image="a/b:v1", is_secret=is_masked)
    assert len(entry.data["description"]) == 100
    assert any("description is" in w for w in entry.warnings)
    validator().validate(entry.data)


def test_a_bad_registry_section_names_the_key() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="must look like io"):
        project(registry={"name": "not reverse dns"})


def test_the_image_carries_the_registry_name_label(manifest: Manifest) -> None:
    plan = make_plan(
        manifest,
        sources=["tools/t.py"],
        config_texts={},
        options=BuildOptions(),
        python=PythonTarget("3.11", source="probe"),
        mcpgen_requirements=["mcp>=2.3"],
        now=NOW,
        mcp_name="io.github.acme/demo",
    )
    assert f'{LABEL}="io.github.acme/demo"' in plan.dockerfile
    assert plan.labels[LABEL] == "io.github.acme/demo"


def test_dumped_entry_round_trips(manifest: Manifest) -> None:
    import json

    from mcpgen.build.server_json import dumps

    data = build(manifest, registry={"name": "io.github.acme/demo"})
    assert json.loads(dumps(copy.deepcopy(data))) == data
