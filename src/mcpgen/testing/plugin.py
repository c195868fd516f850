"""The pytest plugin (entry point ``pytest11: mcpgen``): fixtures for testing an mcpgen workspace.

Loaded in every pytest run of an environment where mcpgen is installed, so it imports nothing heavy
at import time and does nothing unless a test asks for one of its fixtures (or a ``*.mcp.jsonl``
session file is collected). Fixtures:

``mcp_workspace``      the workspace folder (``--mcp-workspace``, ini ``mcpgen_workspace``,
                       ``$MCPGEN_WORKSPACE``, else the nearest folder with ``mcpgen.yaml`` above the rootdir)
``mcp_server``         the workspace served on 127.0.0.1, shared by the tests that need the same one
                       (``--mcp-server inprocess|subprocess``, ini ``mcpgen_server``)
``mcp_server_factory`` another server: ``mcp_server_factory(mode="subprocess", overrides=[...])``
``mcp_wire``           the protocol version; tests using it (or ``mcp_client``) run once per wire in
                       ini ``mcpgen_wires`` / ``--mcp-wire`` (default both: 2025-11-25 and 2026-07-28)
``mcp_client``         the official SDK ``mcp.Client``, connected to ``mcp_server`` on ``mcp_wire``
                       (async tests using it run under anyio without a marker)
``mock_connector``     ``mock_connector("gmail", responses={...})``: a :class:`ConnectorMock` the
                       server's connector is pointed at (request it before ``mcp_server``/``mcp_client``)
``mcp_snapshot``       ``mcp_snapshot(await client.list_tools())``: schema snapshot under ``__snapshots__``
``mcp_replay``         ``mcp_replay("session.jsonl")``: replay a recorded session against ``mcp_server``
``mcp_docker``         ``mcp_docker.start(...)``: build and run the workspace image; removed afterwards
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mcpgen.testing.servers import MODES, WIRES

if TYPE_CHECKING:
    from mcp import Client

    from mcpgen.testing.docker import Container
    from mcpgen.testing.mocks import ConnectorMock, Responses
    from mcpgen.testing.servers import McpServer, Mode, ServerPool
    from mcpgen.workflows.sessions import ReplayReport

SESSION_SUFFIX = ".mcp.jsonl"
REQUIRE_DOCKER = "MCPGEN_REQUIRE_DOCKER"

_POOL = pytest.StashKey["ServerPool"]()
_MOCKS = pytest.StashKey[dict[str, "ConnectorMock"]]()
_ACTIVE = pytest.StashKey["_TestMocks"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mcpgen", "mcpgen testing harness")
    group.addoption("--mcp-workspace", metavar="DIR", help="The mcpgen workspace the mcp_* fixtures serve.")
    group.addoption(
        "--mcp-server",
        choices=MODES,
        help="Serve it in this process or as `mcpgen serve` [default: inprocess].",
    )
    group.addoption(
        "--mcp-wire",
        action="append",
        choices=WIRES,
        help="Run mcp_client tests on this protocol version only (repeatable) [default: both].",
    )
    group.addoption(
        "--mcp-update-snapshots",
        action="store_true",
        help="Rewrite schema snapshot files instead of comparing with them.",
    )
    parser.addini("mcpgen_workspace", "The mcpgen workspace (relative to the ini file).", default="")
    parser.addini("mcpgen_server", "inprocess or subprocess.", default="inprocess")
    parser.addini(
        "mcpgen_wires", "Protocol versions mcp_client tests run on.", type="args", default=list(WIRES)
    )
    parser.addini(
        "mcpgen_replay_ignore",
        "JSON paths every replayed session ignores (besides the defaults).",
        type="linelist",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--mcp-update-snapshots", False):
        from mcpgen.testing.assertions import UPDATE_ENV

        os.environ[UPDATE_ENV] = "1"


def pytest_unconfigure(config: pytest.Config) -> None:
    pool = config.stash.get(_POOL, None)
    if pool is not None:
        pool.close()
    for mock in config.stash.get(_MOCKS, {}).values():
        mock.stop()


# -- configuration ---------------------------------------------------------------------------------


def workspace_of(config: pytest.Config) -> Path:
    """The workspace the fixtures serve (see the module docstring for the order)."""
    option = config.getoption("--mcp-workspace", None)
    if option:
        return _existing(Path(option), "--mcp-workspace")
    ini = str(config.getini("mcpgen_workspace") or "")
    if ini:
        base = config.inipath.parent if config.inipath is not None else config.rootpath
        return _existing(base / ini, "ini option mcpgen_workspace")
    env = os.environ.get("MCPGEN_WORKSPACE")
    if env:
        return _existing(Path(env), "MCPGEN_WORKSPACE")
    for start in (config.rootpath, Path.cwd()):
        for folder in (start, *start.parents):
            if (folder / "mcpgen.yaml").is_file():
                return folder
    raise pytest.UsageError(
        "no mcpgen workspace for the mcp_* fixtures: run from a workspace (a folder with mcpgen.yaml), "
        "or pass --mcp-workspace DIR (or set ini mcpgen_workspace / $MCPGEN_WORKSPACE)"
    )


def _existing(path: Path, source: str) -> Path:
    if not path.is_dir():
        raise pytest.UsageError(f"{source}: {path} is not a directory")
    return path.resolve()


def server_mode(config: pytest.Config) -> Mode:
    mode = config.getoption("--mcp-server", None) or str(config.getini("mcpgen_server"))
    if mode not in MODES:
        raise pytest.UsageError(f"ini option mcpgen_server must be inprocess or subprocess, not {mode!r}")
    return mode


def wires(config: pytest.Config) -> list[str]:
    chosen: list[str] = config.getoption("--mcp-wire", None) or list(config.getini("mcpgen_wires"))
    bad = [w for w in chosen if w not in WIRES]
    if bad:
        raise pytest.UsageError(f"ini option mcpgen_wires: unknown protocol version(s) {', '.join(bad)}")
    return chosen


def pool_of(config: pytest.Config) -> ServerPool:
    pool = config.stash.get(_POOL, None)
    if pool is None:
        from mcpgen.testing.servers import ServerPool

        pool = config.stash[_POOL] = ServerPool()
    return pool


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests using ``mcp_wire`` (``mcp_client`` does) run once per wire, unless they parametrize it."""
    if "mcp_wire" not in metafunc.fixturenames:
        return
    if any(
        "mcp_wire" in getattr(m, "args", [()])[0] for m in metafunc.definition.iter_markers("parametrize")
    ):
        return
    metafunc.parametrize("mcp_wire", wires(metafunc.config), ids=lambda w: f"wire={w}")


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def mcp_workspace(pytestconfig: pytest.Config) -> Path:
    """The mcpgen workspace under test (override this fixture to serve another)."""
    return workspace_of(pytestconfig)


@pytest.fixture(scope="session")
def mcp_server_factory(pytestconfig: pytest.Config, mcp_workspace: Path) -> Callable[..., McpServer]:
    """``mcp_server_factory(root=None, mode=None, overrides=(), environ=None, env=None)`` → a served workspace."""

    def start(
        root: Path | None = None,
        *,
        mode: Mode | None = None,
        overrides: Sequence[str] = (),
        environ: dict[str, str] | None = None,
        env: str | None = None,
    ) -> McpServer:
        return pool_of(pytestconfig).get(
            root or mcp_workspace,
            mode=mode or server_mode(pytestconfig),
            overrides=overrides,
            environ=environ,
            env=env,
        )

    return start


@dataclass
class _TestMocks:
    mocks: dict[str, ConnectorMock] = field(default_factory=dict)
    environ: dict[str, str] = field(default_factory=dict)
    server_started: bool = False


@pytest.fixture
def mcp_server(request: pytest.FixtureRequest, mcp_server_factory: Callable[..., McpServer]) -> McpServer:
    """The workspace served on 127.0.0.1 (shared with every test that needs the same server)."""
    active = request.node.stash.get(_ACTIVE, None)
    if active is None:
        active = request.node.stash[_ACTIVE] = _TestMocks()
    active.server_started = True
    overrides = [m.override for m in sorted(active.mocks.values(), key=lambda m: m.name)]
    return mcp_server_factory(overrides=overrides, environ=active.environ or None)


@pytest.fixture
def mcp_wire(request: pytest.FixtureRequest) -> str:
    """The protocol version of ``mcp_client`` (parametrized: see ``pytest_generate_tests``)."""
    wire: str = getattr(request, "param", "2026-07-28")
    return wire


@pytest.fixture
async def mcp_client(mcp_server: McpServer, mcp_wire: str, anyio_backend: Any) -> AsyncIterator[Client]:
    """The official MCP SDK client, connected to ``mcp_server`` on ``mcp_wire``."""
    async with mcp_server.client(mcp_wire) as client:
        yield client


@pytest.fixture
def mock_connector(request: pytest.FixtureRequest) -> Iterator[Callable[..., ConnectorMock]]:
    """``mock_connector(name, responses={...}, environ={...})`` → the connector's service, mocked.

    The server's ``services.<name>.endpoint`` points at it; ``environ`` adds variables (the
    connector's credentials) to the server's environment. One mock per name for the session, reset
    between tests.
    """
    from mcpgen.testing.mocks import ConnectorMock

    hub = request.config.stash.setdefault(_MOCKS, {})
    active = request.node.stash.setdefault(_ACTIVE, _TestMocks())

    def mock(
        name: str, responses: Responses | None = None, *, environ: dict[str, str] | None = None
    ) -> ConnectorMock:
        if active.server_started and name not in active.mocks:
            raise RuntimeError(
                f"mock_connector({name!r}) after mcp_server started: the server would not use it. "
                "Create the mock in a fixture listed before mcp_server/mcp_client in the test's arguments"
            )
        service = hub.get(name)
        if service is None:
            service = hub[name] = ConnectorMock(name)
            service.start()
        service.reset()
        service.respond_with(responses or {})
        active.mocks[name] = service
        active.environ.update(environ or {})
        return service

    yield mock
    for service in active.mocks.values():
        service.reset()


@pytest.fixture
def mcp_snapshot(request: pytest.FixtureRequest) -> Callable[..., None]:
    """``mcp_snapshot(listing, tool=None, name=None)``: compare with ``__snapshots__/<module>/<name>.json``."""
    from mcpgen.testing.assertions import assert_schema_snapshot

    def snapshot(listing: Any, tool: str | None = None, name: str | None = None) -> None:
        __tracebackhide__ = True
        node = request.node
        folder = Path(node.path).parent / "__snapshots__" / Path(node.path).stem
        stem = name or getattr(node, "originalname", node.name)
        assert_schema_snapshot(listing, folder / f"{stem}{'.' + tool if tool else ''}.json", tool=tool)

    return snapshot


def assert_replay(
    path: Path | str,
    mcp_url: str,
    *,
    ignore: Sequence[str] = (),
    headers: dict[str, str] | None = None,
) -> ReplayReport:
    """Replay a recorded session against ``mcp_url``; fail with the readable diff on any mismatch."""
    __tracebackhide__ = True
    from mcpgen.workflows.sessions import read_session, replay_session

    report = replay_session(read_session(Path(path)), mcp_url, ignore=ignore, headers=headers)
    if not report.ok:
        raise AssertionError(report.describe())
    return report


@pytest.fixture
def mcp_replay(request: pytest.FixtureRequest, mcp_server: McpServer) -> Callable[..., ReplayReport]:
    """``mcp_replay(path, ignore=(), headers=None)``: replay a session against ``mcp_server``, assert it matches.

    A relative ``path`` is relative to the test file's folder.
    """
    configured = list(request.config.getini("mcpgen_replay_ignore"))
    here = Path(request.node.path).parent

    def replay(
        path: Path | str, *, ignore: Sequence[str] = (), headers: dict[str, str] | None = None
    ) -> ReplayReport:
        __tracebackhide__ = True
        return assert_replay(here / path, mcp_server.mcp_url, ignore=[*configured, *ignore], headers=headers)

    return replay


class DockerHelper:
    """``start(**options)`` builds and runs the workspace image (see :func:`mcpgen.testing.docker.start_container`)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.started: list[Container] = []

    def build(self, **options: Any) -> str:
        from mcpgen.testing.docker import build_image

        return build_image(options.pop("root", self.root), **options)

    def start(self, **options: Any) -> Container:
        from mcpgen.testing.docker import start_container

        container = start_container(options.pop("root", self.root), **options)
        self.started.append(container)
        return container

    def close(self) -> None:
        """Remove every container started so far."""
        started, self.started = self.started, []
        for container in started:
            container.stop()


@pytest.fixture
def mcp_docker(mcp_workspace: Path) -> Iterator[DockerHelper]:
    """Build and run the workspace image; every container started is removed afterwards.

    Skips without a Docker engine, unless ``MCPGEN_REQUIRE_DOCKER=1`` (then it fails).
    """
    from mcpgen.testing.docker import docker_available

    problem = docker_available()
    if problem is not None:
        if os.environ.get(REQUIRE_DOCKER, "") not in ("", "0"):
            pytest.fail(f"{REQUIRE_DOCKER} is set but {problem}")
        pytest.skip(problem)
    helper = DockerHelper(mcp_workspace)
    try:
        yield helper
    finally:
        helper.close()


# -- recorded sessions as tests --------------------------------------------------------------------


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.name.endswith(SESSION_SUFFIX):
        return SessionFile.from_parent(parent, path=file_path)
    return None


class SessionFile(pytest.File):
    """A recorded session (``*.mcp.jsonl``): one test replaying it against the workspace."""

    def collect(self) -> Iterator[pytest.Item]:
        yield SessionItem.from_parent(self, name="replay")


class SessionMismatch(AssertionError):
    pass


class SessionItem(pytest.Item):
    def runtest(self) -> None:
        from mcpgen.workflows.sessions import read_session, replay_session

        session = read_session(self.path)
        server = pool_of(self.config).get(workspace_of(self.config), mode=server_mode(self.config))
        ignore = list(self.config.getini("mcpgen_replay_ignore"))
        report = replay_session(session, server.mcp_url, ignore=ignore)
        if not report.ok:
            raise SessionMismatch(report.describe())

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, SessionMismatch):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"replay {self.path.name}"
