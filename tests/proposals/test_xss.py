"""User content never becomes markup: titles, descriptions, addresses, image descriptions and file names."""

import io

import pytest
from PIL import Image

from app.cycles.models import PhaseKind
from tests.conftest import csrf_token
from tests.factories import make_category, make_cycle
from tests.xss_corpus import PAYLOADS, injected_markup


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_are_rendered_harmless_everywhere(client, db, login_as, payload):
    cycle = make_cycle(PhaseKind.SUBMISSION)
    category = make_category()
    db.session.commit()
    login_as()
    data = {
        "csrf_token": csrf_token(client, "/"), "title": f"Titre {payload}"[:150],
        "body": f"Description assez longue. {payload}", "category": str(category.id), "district": "0",
        "address": payload[:200], "images_alt": payload[:200], "submit": "1",
        "images": [(io.BytesIO(_png()), f"{payload[:40]}.png")],
    }
    response = client.post(f"/proposals/new?cycle={cycle.slug}", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    pages = [response.location, "/proposals/", f"/proposals/?q={payload[:50]}", "/proposals/map", "/proposals/mine"]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert injected_markup(response.get_data(as_text=True)) == [], path


def test_the_checker_sees_markup():
    assert injected_markup('<p><img src=x onerror="x()"></p>') == ["event handler onerror on <img>"]
    assert injected_markup("<script>alert(1)</script>") == ["inline or foreign <script>", "script content"]
    assert injected_markup('<a href="javascript:x">a</a>') != []
