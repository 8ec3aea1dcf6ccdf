# cardsettle: one image for every service (gateway consumer, scheduler, CLI).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md alembic.ini ./
COPY settlement ./settlement
COPY pos_simulator ./pos_simulator
COPY migrations ./migrations
RUN pip install .

RUN useradd --create-home --uid 10001 cardsettle
USER cardsettle
ENTRYPOINT []
CMD ["settlement", "--help"]
