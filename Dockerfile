# syntax=docker/dockerfile:1
# One image for every courseportal service (web, worker, gpu-worker, beat, migrate); the command
# differs, see docker-compose.yml.
FROM python:3.11-slim-bookworm

# bubblewrap: the sandbox student code runs in (docs/sandbox.md); gettext: compilemessages.
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap gettext \
 && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=courseportal.settings \
    COURSEPORTAL_VAR_DIR=/app/var

WORKDIR /app

# The CPU build of torch by default; the GPU worker builds with a CUDA index (docker-compose.yml).
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# Dependencies before the code, so editing the code does not reinstall torch.
COPY pyproject.toml README.md ./
RUN pip install --index-url "$TORCH_INDEX_URL" "torch==2.13.0" \
 && pip install .

COPY . .

# Translations and static files are baked into the image. Production settings insist on real
# secrets, so the build passes throwaway ones; nothing here reaches a database or a broker.
RUN DJANGO_ENV=production ALLOWED_HOSTS=build.invalid \
    SECRET_KEY=build-time-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 REDIS_URL=redis://build.invalid:6379/0 \
    sh -c 'python manage.py compilemessages --ignore=var -v0 && python manage.py collectstatic --noinput -v0'

# The web server and beat run unprivileged; the worker services switch to root in compose
# because bubblewrap needs it to build the sandbox (see docs/sandbox.md).
RUN useradd --uid 10001 --create-home courseportal \
 && mkdir -p /app/var/media /app/var/cache \
 && chown -R courseportal:courseportal /app/var
USER courseportal

EXPOSE 8000
CMD ["gunicorn", "courseportal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--worker-class", "gthread", "--threads", "8", "--timeout", "120", "--access-logfile", "-"]
