# One image for web (gunicorn), worker and beat (docker-compose.yml picks the command).
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml constraints.txt ./
RUN pip install -c constraints.txt -e .
COPY . .
COPY --from=assets /app/node_modules ./node_modules
# Build-time only: collectstatic and compilemessages need settings, not secrets.
RUN SECRET_KEY=build-only STATISTICS_CELL_KEY_SECRET=build-only DEBUG=0 python manage.py collectstatic --noinput -v0 \
    && SECRET_KEY=build-only STATISTICS_CELL_KEY_SECRET=build-only DEBUG=0 python manage.py compilemessages --ignore=node_modules -v0
RUN useradd --system --uid 1000 app && chown -R app /app
USER app
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
