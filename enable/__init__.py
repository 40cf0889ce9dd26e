"""Enable: a self-hosted sales-enablement library of your best calls, playbooks and training."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: settings, logging, extensions, blueprints, commands and error pages."""
    from enable import config as settings
    from enable.logging_setup import configure_logging

    configure_logging()
    app = Flask(__name__)
    app.config.update(settings.load_config(config))
    _check_secret(app)
    _trust_proxies(app)
    for folder in ("ENABLE_DATA_DIR", "MEDIA_DIR", "INDEX_DIR", "TRANSCRIPTS_DIR"):
        app.config[folder].mkdir(parents=True, exist_ok=True)

    from enable.request_args import IdConverter

    app.url_map.converters["int"] = IdConverter  # before any rule is added: every <int:id> is bounded
    _init_extensions(app)
    _register_blueprints(app)
    _register_commands(app)

    from enable import errors, navigation, security

    errors.init_app(app)
    security.init_app(app)
    navigation.init_app(app)
    return app


def _check_secret(app: Flask) -> None:
    if len(app.config["SECRET_KEY"]) < 16:
        raise RuntimeError("SECRET_KEY is too short; set at least 16 random characters, or unset it to generate one")


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, take the client's address and scheme from their X-Forwarded-For and
    -Proto (that many hops from the right); with none, such headers are ignored, since any client can send them."""
    hops = int(app.config["TRUSTED_PROXIES"])
    if hops < 0:
        raise RuntimeError("TRUSTED_PROXIES is a number of proxies: 0 or more")
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def _init_extensions(app: Flask) -> None:
    from enable import i18n, models, queue  # noqa: F401  (models completes the metadata)
    from enable.extensions import babel, csrf, db, login_manager, migrate

    db.init_app(app)
    from enable.search.postgres_backend import include_object  # its search tables are not models

    migrate.init_app(app, db, directory=str(app.config.get("MIGRATIONS_DIR", _repo_path("migrations"))),
                     include_object=include_object)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from enable.auth.models import User
    from enable.auth.sessions import session_user

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return session_user(user_id)

    queue.init_app(app)
    from enable import database

    database.init_app(app)


def _register_blueprints(app: Flask) -> None:
    # Order matters for `flask content load` and `flask demo load`: capabilities register their loaders and demo
    # steps when imported, and each builds on those before it (calls, then playbooks, learning, deals and reports).
    from enable import main, auth, taxonomy, calls, bites, search  # noqa: I001  (import order is registration order)
    from enable import notifications, playbooks, learning, deals, coaching, reports  # noqa: I001
    from enable import backup, comments, webhooks, sources  # noqa: I001
    from enable import api  # noqa: I001

    blueprints = [main.bp, auth.bp, taxonomy.bp, calls.bp, bites.bp, search.bp,
                  playbooks.bp, playbooks.assets_bp, playbooks.governance_bp, playbooks.links_bp, notifications.bp,
                  learning.bp, deals.bp, coaching.bp, reports.bp]
    blueprints += [comments.bp, webhooks.bp, backup.bp, sources.bp]
    blueprints += [api.bp, api.tokens_bp]
    for blueprint in blueprints:
        app.register_blueprint(blueprint)


def _register_commands(app: Flask) -> None:
    from enable import demo, serve, starter

    starter.init_app(app)
    serve.init_app(app)
    demo.init_app(app)


def _repo_path(name: str) -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent / name)
