# Lode production image: one image for web (gunicorn), worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .

# collectstatic needs settings to load but nothing else; the key here is
# thrown away with the build step and never reaches a running container.
RUN SECRET_KEY=collectstatic-only DEBUG=false \
    python manage.py collectstatic --noinput

RUN useradd --system --uid 1000 --home-dir /app lode \
    && mkdir -p /app/var/media \
    && chown -R lode:lode /app/var
USER lode

EXPOSE 8000
# --preload: the app and its API schema load once, before the workers fork;
# loading leaves no database or Redis connection open to share (see
# docker-compose.yml).
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", \
     "--workers", "3", "--preload", "--access-logfile", "-"]
