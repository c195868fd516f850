# mcpgen itself in a container, for Docker-out-of-Docker: mount the host's Docker socket and a workspace.
#
#   docker build -t mcpgen .                                      # online: pip installs from the index
#   python scripts/build-mcpgen-image.py --base-image IMG -t mcpgen   # offline: wheels fetched on the host
#   docker run --rm --network host -v /var/run/docker.sock:/var/run/docker.sock \
#     -v "$PWD":/work -w /work mcpgen build .
#
# `mcpgen build` sends the build context to the engine as a tar stream, so the workspace path inside
# this container need not exist on the host. Only the Docker SDK is needed here, not the docker CLI.
# Any Debian-like base image with python3 and its venv module works (BASE_IMAGE).
ARG BASE_IMAGE=python:3.12-slim
FROM ${BASE_IMAGE}
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN python3 -m venv /opt/mcpgen/venv
ENV PATH=/opt/mcpgen/venv/bin:$PATH
# .dockerignore lets in only pyproject.toml, README.md, src/ and build/wheelhouse/.
COPY . /src/
# build/wheelhouse/ (written by scripts/build-mcpgen-image.py) holds mcpgen's wheel and every dependency's
# wheel for this image's Python: then nothing is fetched. Without it, pip builds /src from the index.
RUN if ls /src/build/wheelhouse/*.whl >/dev/null 2>&1; then \
      pip install --no-index --find-links /src/build/wheelhouse "mcpgen[cli]"; \
    else \
      pip install "/src[cli]"; \
    fi \
 && rm -rf /src
WORKDIR /work
ENTRYPOINT ["mcpgen"]
CMD ["--help"]
