"""Admin pages: the endpoints with their recent deliveries, adding and editing one, a test event, redelivery."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from enable import audit
from enable.auth.decorators import role_required
from enable.auth.models import Role
from enable.extensions import db
from enable.navigation import add_nav_item
from enable.webhooks import addresses, bp, services, signing
from enable.webhooks.forms import EndpointForm, NewEndpointForm
from enable.webhooks.models import WebhookDelivery, WebhookEndpoint

add_nav_item("webhooks.index", _l("Webhooks"), Role.ADMIN, order=96)


def _index(form: NewEndpointForm, status: int = 200):
    page = render_template("webhooks/index.html", endpoints=services.list_endpoints(), form=form,
                           deliveries=services.recent_deliveries(limit=30), tolerance=signing.DEFAULT_TOLERANCE_S)
    return page, status


def _field_error(form: EndpointForm, error: services.InvalidEndpoint) -> None:
    """Show a refused URL, event choice or secret under its field (the page answers 422)."""
    field = getattr(form, error.field, None) or form.url
    field.errors = [*field.errors, str(error)]


@bp.get("/")
@role_required(Role.ADMIN)
def index():
    return _index(NewEndpointForm())


@bp.post("/")
@role_required(Role.ADMIN)
def create():
    form = NewEndpointForm()
    if not form.validate_on_submit():
        return _index(form, 422)
    try:
        endpoint = services.create_endpoint(form.url.data, form.events.data, current_user, form.description.data or "",
                                            form.secret.data)
    except services.InvalidEndpoint as e:
        _field_error(form, e)
        return _index(form, 422)
    endpoint.is_active = bool(form.is_active.data)
    audit.record(current_user, "webhook.endpoint_create", endpoint,
                 {"url": addresses.mask(endpoint.url), "events": endpoint.events})
    secret = endpoint.secret
    db.session.commit()
    # Shown on this page only (not flashed: the session cookie is signed, not encrypted), and never cached.
    return render_template("webhooks/created.html", endpoint=endpoint, secret=secret), {"Cache-Control": "no-store"}


@bp.route("/<int:endpoint_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def detail(endpoint_id: int):
    item = db.get_or_404(WebhookEndpoint, endpoint_id)
    form = EndpointForm(obj=item)
    if form.validate_on_submit():
        try:
            services.update_endpoint(item, form.url.data, form.events.data, form.description.data or "",
                                     bool(form.is_active.data))
        except services.InvalidEndpoint as e:
            _field_error(form, e)
        else:
            audit.record(current_user, "webhook.endpoint_update", item,
                         {"url": addresses.mask(item.url), "events": item.events, "active": item.is_active})
            db.session.commit()
            flash(_("The endpoint is saved."), "success")
            return redirect(url_for("webhooks.detail", endpoint_id=item.id))
    status = 422 if form.errors else 200
    return render_template("webhooks/endpoint.html", endpoint=item, form=form,
                           deliveries=services.recent_deliveries(item.id)), status


@bp.post("/<int:endpoint_id>/delete")
@role_required(Role.ADMIN)
def delete(endpoint_id: int):
    item = db.get_or_404(WebhookEndpoint, endpoint_id)
    audit.record(current_user, "webhook.endpoint_delete", item, {"url": addresses.mask(item.url)})
    db.session.delete(item)
    db.session.commit()
    flash(_("The endpoint is deleted; it receives nothing more."), "success")
    return redirect(url_for("webhooks.index"))


@bp.post("/<int:endpoint_id>/test")
@role_required(Role.ADMIN)
def send_test(endpoint_id: int):
    item = db.get_or_404(WebhookEndpoint, endpoint_id)
    services.send_test(item, current_user)
    audit.record(current_user, "webhook.test", item, {"url": addresses.mask(item.url)})
    db.session.commit()
    flash(_("A test event is on its way; its delivery shows below."), "success")
    return redirect(url_for("webhooks.detail", endpoint_id=item.id))


@bp.post("/deliveries/<int:delivery_id>/redeliver")
@role_required(Role.ADMIN)
def redeliver(delivery_id: int):
    delivery = db.get_or_404(WebhookDelivery, delivery_id)
    services.redeliver(delivery)
    audit.record(current_user, "webhook.redeliver", delivery.endpoint, {"event": delivery.event.uid})
    db.session.commit()
    flash(_("The event is sent again as a new delivery."), "success")
    return redirect(url_for("webhooks.detail", endpoint_id=delivery.endpoint_id))
