# mcpgen itself in a container, for Docker-out-of-Docker: mount the host's Docker socket and a workspace.
#
#   docker build -t mcpgen .
#   docker run --rm --network host -v /var/run/docker.sock:/var/run/docker.sock \
#     -v "$PWD":/work -w /work mcpgen build .
#
# `mcpgen build` sends the build context to the engine as a tar stream, so the workspace path inside
# this container need not exist on the host. Only the Docker SDK is needed here, not the docker CLI.
ARG BASE_IMAGE=python:3.12-slim
FROM ${BASE_IMAGE}
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN python3 -m venv /opt/mcpgen/venv
ENV PATH=/opt/mcpgen/venv/bin:$PATH
COPY pyproject.toml README.md /src/
COPY src/ /src/src/
RUN pip install /src && rm -rf /src
WORKDIR /work
ENTRYPOINT ["mcpgen"]
CMD ["--help"]
