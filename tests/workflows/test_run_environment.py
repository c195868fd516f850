"""What ``mcpgen run`` puts in the container's environment about where it listens and who may reach it."""

from __future__ import annotations

from pathlib import Path

from mcpgen.build.plan import IMAGE_HOSTS
from mcpgen.workflows.run import RunOptions, container_environment


def test_a_port_published_on_loopback_allows_the_loopback_names(tmp_path: Path) -> None:
    """Bridge networking binds 0.0.0.0 inside; the server must start even when the config names no hosts."""
    env = container_environment(tmp_path, RunOptions(), {})
    assert env["MCPGEN_SERVER__ALLOWED_HOSTS"] == ",".join(IMAGE_HOSTS)


def test_a_public_publish_or_host_network_leaves_the_hosts_to_the_config(tmp_path: Path) -> None:
    assert "MCPGEN_SERVER__ALLOWED_HOSTS" not in container_environment(
        tmp_path, RunOptions(host="0.0.0.0"), {}
    )
    host = container_environment(tmp_path, RunOptions(network="host"), {})
    assert "MCPGEN_SERVER__ALLOWED_HOSTS" not in host
    assert host["MCPGEN_SERVER__HOST"] == "127.0.0.1"


def test_an_env_file_wins(tmp_path: Path) -> None:
    env_file = tmp_path / "run.env"
    env_file.write_text("MCPGEN_SERVER__ALLOWED_HOSTS=mcp.local:*\n")
    env = container_environment(tmp_path, RunOptions(env_file=env_file), {})
    assert env["MCPGEN_SERVER__ALLOWED_HOSTS"] == "mcp.local:*"


def _stored(root: Path, values: dict[str, str]) -> None:
    from mcpgen.secrets.store import SecretStore

    SecretStore.open(root / ".mcpgen", environ={}, create=True).set_many(values)


def test_a_credential_in_the_host_environment_wins_over_the_stored_one_and_reaches_the_container(
    tmp_path: Path,
) -> None:
    """The reported defect: an exported credential shadowed the stored one and then neither was passed."""
    _stored(tmp_path, {"API_TOKEN": "from-store", "OTHER_KEY": "stored-only"})
    env = container_environment(tmp_path, RunOptions(), {"API_TOKEN": "from-env", "UNRELATED": "x"})
    assert env["API_TOKEN"] == "from-env"
    assert env["OTHER_KEY"] == "stored-only"
    assert "UNRELATED" not in env  # only credentials, not the whole host environment
