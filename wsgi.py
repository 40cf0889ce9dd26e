"""WSGI entry point: `flask --app wsgi ...`, `gunicorn wsgi:app`."""

from enable import create_app

app = create_app()
