# One image for every process: `luckydraw migrate` (one-shot) and `luckydraw serve`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOST=0.0.0.0 \
    PORT=8080 \
    LOG_FORMAT=json

WORKDIR /srv/luckydraw
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin luckydraw

# Dependencies first (cached until pyproject.toml changes). The install is editable, as
# everywhere: `core` and `db` are generic names that must not land in site-packages.
COPY pyproject.toml ./
RUN for pkg in core db app sms bot public; do mkdir -p "$pkg" && touch "$pkg/__init__.py"; done \
    && pip install -e . \
    && rm -rf core db app sms bot public

# The code, owned by root and read-only for the service user.
COPY core ./core
COPY db ./db
COPY app ./app
COPY sms ./sms
COPY bot ./bot
COPY public ./public
COPY examples ./examples

USER luckydraw
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]
CMD ["luckydraw", "serve"]
