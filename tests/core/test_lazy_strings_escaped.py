"""A lazy translated message that carries a user's value is escaped on a page like any other text."""

from flask import render_template_string
from flask_babel import lazy_gettext as _l


def test_lazy_message_with_user_value_is_escaped(app):
    payload = '<script>alert("x")</script>'
    message = _l("The proposal “%(title)s” is not open for comments.", title=payload)
    with app.test_request_context("/"):
        html = render_template_string("<p>{{ message }}</p>", message=message)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_lazy_form_label_still_renders_as_text(app):
    with app.test_request_context("/"):
        html = render_template_string("{{ label }}", label=_l("Title"))
    assert html in {"Title", "Titre"}
