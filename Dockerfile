FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/opt/venv
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
ENV PATH=/opt/venv/bin:$PATH
# Build-time placeholders only: collectstatic needs settings to load, not real secrets.
RUN DEBUG=0 SECRET_KEY=build-only CODE_HASH_KEYS=1:build-only-placeholder IDENTITY_HASH_KEY=x \
    PAYOUT_ACCOUNT_KEYS=1:build-only-placeholder-of-thirty-two-characters \
    DATABASE_URL=postgres://x@localhost/x REDIS_URL=redis://localhost \
    STATIC_ROOT=/app/staticfiles python manage.py collectstatic --no-input
RUN useradd --system --uid 1000 app && mkdir -p /data && chown app /data
USER app
EXPOSE 8000
# Bind, workers, timeout, no scheme headers and no Server header: gunicorn.conf.py.
# The Celery workers run this image with their own command, one per kind of queue (see
# docker-compose.yml): `celery -A config worker --queues default,sweeps`, `--queues bulk`,
# `--queues notifications`; or one worker with `--queues default,bulk,sweeps,notifications`.
CMD ["gunicorn", "--config", "gunicorn.conf.py", "config.wsgi"]
