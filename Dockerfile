# The datagraph server image used by docker-compose.yml.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY graph_schema ./graph_schema
COPY ingestors ./ingestors
COPY server ./server
COPY datagraph ./datagraph
RUN pip install --no-cache-dir .
ENV HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
USER nobody
EXPOSE 8765
CMD ["datagraph", "serve", "--transport", "http", "--host", "0.0.0.0", "--port", "8765"]
