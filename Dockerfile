# One image for every process: `luckydraw migrate` (one-shot) and `luckydraw serve`.
# Stage 1 builds the project's wheel; stage 2 installs it, without the `local` extra (no
# embedded PostgreSQL or Redis), into a virtual environment of its own. `core` and `db` are
# generic package names: they land only in that private environment, never a shared one.
# tests/api/test_deploy.py builds the same file system without Docker and runs it.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml ./
COPY core ./core
COPY db ./db
COPY app ./app
COPY sms ./sms
COPY bot ./bot
COPY console ./console
COPY public ./public
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/luckydraw/bin:$PATH \
    HOST=0.0.0.0 \
    PORT=8080 \
    LOG_FORMAT=json

RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin luckydraw

# Installed as root, read-only for the service user.
COPY --from=build /wheels /tmp/wheels
RUN python -m venv /opt/luckydraw \
    && /opt/luckydraw/bin/pip install /tmp/wheels/luckydraw-*.whl \
    && rm -rf /tmp/wheels

WORKDIR /srv/luckydraw
USER luckydraw
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]
CMD ["luckydraw", "serve"]
