# cxpulse worker and dashboard image (for docker-compose.yml; the local stack does not need Docker).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS="" TLDEXTRACT_CACHE=/tmp/tldextract HF_HUB_OFFLINE=1 \
    CXPULSE_REDACTION__NAME_GAZETTEER_DIR=/app/names
WORKDIR /app
COPY requirements.lock pyproject.toml README.md cxpulse.toml ./
# Locked and hash-checked first (a layer that changes only with the lock), then cxpulse without dependencies.
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
COPY cxpulse ./cxpulse
COPY schemas ./schemas
COPY streams ./streams
COPY sinks ./sinks
COPY dashboards ./dashboards
COPY expectations ./expectations
RUN pip install --no-cache-dir --no-deps --no-build-isolation . && python -m streams.redact.gazetteer
USER nobody
CMD ["cxpulse", "worker"]
