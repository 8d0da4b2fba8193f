"""Every account flow through the web, with bad input changing nothing."""

from datetime import timedelta
from unittest import mock

import pytest
from sqlalchemy import func, select

from app.accounts.models import AccountToken, User
from app.core import clock
from tests.conftest import csrf_token, link_in, login, outbox_to
from tests.factories import PASSWORD, make_district, make_user


def count_users(db) -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def register(client, **fields):
    data = {
        "csrf_token": csrf_token(client, "/account/register"),
        "email": "nouvelle@example.org",
        "display_name": "Nadia",
        "password": "un mot de passe long",
        "password_again": "un mot de passe long",
        "locale": "fr",
        "district": "0",
    }
    data.update(fields)
    return client.post("/account/register", data=data)


def test_register_creates_unconfirmed_account_and_sends_confirmation(client, db):
    district = make_district("Wazemmes")
    db.session.commit()
    response = register(client, email="  Nouvelle@Example.org ", district=str(district.id))
    assert response.status_code == 302 and response.location.endswith("/account/check-email")
    user = db.session.scalar(select(User).where(User.email == "nouvelle@example.org"))
    assert user is not None and not user.email_confirmed and user.district_id == district.id
    assert user.password_hash.startswith("$argon2")
    [message] = outbox_to("nouvelle@example.org")
    assert "/account/confirm/" in message.body


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"email": ""}, "Veuillez indiquer votre adresse e-mail."),
        ({"email": "pas-un-email"}, "Cette adresse e-mail n’est pas valide."),
        ({"email": "a" * 250 + "@x.fr"}, "Cette adresse e-mail est trop longue."),
        ({"display_name": ""}, "Veuillez indiquer le nom que les autres verront."),
        ({"display_name": "N" * 81}, "Le nom doit comporter entre 2 et 80 caractères."),
        ({"password": "court", "password_again": "court"}, "Le mot de passe doit comporter entre 10 et 128"),
        ({"password_again": "autre chose encore"}, "Les deux mots de passe ne sont pas identiques."),
        ({"password": "x" * 129, "password_again": "x" * 129}, "Le mot de passe doit comporter entre 10 et 128"),
        ({"locale": "de"}, "Not a valid choice"),
        ({"district": "99999"}, "Veuillez choisir une option dans la liste."),
        ({"district": "abc"}, "Veuillez choisir une option dans la liste."),
    ],
)
def test_register_rejects_bad_input_with_a_clear_message(client, db, fields, expected):
    before = count_users(db)
    response = register(client, **fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    if expected != "Not a valid choice":
        assert expected in html
    assert 'aria-invalid="true"' in html
    assert count_users(db) == before
    assert outbox_to("nouvelle@example.org") == []


def test_register_with_a_known_email_answers_the_same_and_warns_the_owner(client, db):
    owner = make_user(email="connue@example.org", display_name="Connue")
    db.session.commit()
    unknown = register(client, email="inconnue@example.org")
    known = register(client, email="connue@example.org")
    assert (known.status_code, known.location) == (unknown.status_code, unknown.location)
    assert count_users(db) == 2
    [warning] = outbox_to("connue@example.org")
    assert "déjà un compte" in warning.subject
    assert db.session.get(User, owner.id).password_hash != "changed"


def test_register_without_csrf_token_is_refused(client, db):
    response = client.post("/account/register", data={"email": "x@example.org", "display_name": "Xavier",
                                                       "password": "un mot de passe long",
                                                       "password_again": "un mot de passe long", "locale": "fr"})
    assert response.status_code == 400
    assert "Votre formulaire a expiré" in response.get_data(as_text=True)
    assert count_users(db) == 0


def test_confirmation_link_confirms_once(client, db):
    register(client, email="c@example.org")
    path = link_in(outbox_to("c@example.org")[0], "/account/confirm/")
    first = client.get(path)
    assert first.status_code == 302
    assert db.session.scalar(select(User).where(User.email == "c@example.org")).email_confirmed
    again = client.get(path)
    assert again.status_code == 400
    assert "déjà été utilisé" in again.get_data(as_text=True)


def test_confirmation_link_wrong_or_expired(client, db):
    assert client.get("/account/confirm/not-a-real-token").status_code == 400
    register(client, email="late@example.org")
    path = link_in(outbox_to("late@example.org")[0], "/account/confirm/")
    later = clock.utcnow() + timedelta(hours=49)
    with mock.patch.object(clock, "_now", return_value=later):
        response = client.get(path)
    assert response.status_code == 400
    assert "expiré" in response.get_data(as_text=True)
    assert not db.session.scalar(select(User).where(User.email == "late@example.org")).email_confirmed


def _login(client, email, password, **extra):
    return client.post("/account/login", data={"csrf_token": csrf_token(client, "/account/login"),
                                                "email": email, "password": password, **extra})


def test_login_and_logout(client, db):
    make_user(email="me@example.org", display_name="Moi")
    db.session.commit()
    response = _login(client, "ME@example.org", PASSWORD, remember="y")
    assert response.status_code == 302
    assert "remember_token" in response.headers.get("Set-Cookie", "") or any(
        "remember_token" in h for h in response.headers.getlist("Set-Cookie"))
    assert "Mon compte" in client.get("/").get_data(as_text=True)
    token = csrf_token(client, "/")
    assert client.post("/account/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/account/profile").status_code == 302


def test_login_failure_is_the_same_for_unknown_email_and_wrong_password(client, db):
    make_user(email="me@example.org")
    db.session.commit()
    wrong = _login(client, "me@example.org", "not the password")
    unknown = _login(client, "nobody@example.org", "not the password")
    message = "L’adresse e-mail ou le mot de passe est incorrect."
    assert wrong.status_code == unknown.status_code == 422
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]
)
def test_login_never_redirects_off_site(client, db, target):
    make_user(email="me@example.org")
    db.session.commit()
    response = _login(client, "me@example.org", PASSWORD, next=target)
    assert response.status_code == 302
    assert response.location == "/"


def test_login_redirects_to_a_local_next_path(client, db):
    make_user(email="me@example.org")
    db.session.commit()
    response = _login(client, "me@example.org", PASSWORD, next="/account/profile")
    assert response.location == "/account/profile"


def test_login_is_rate_limited_with_a_translated_page(client, db):
    for _attempt in range(10):
        _login(client, "x@example.org", "wrong password")
    response = _login(client, "x@example.org", "wrong password")
    assert response.status_code == 429
    assert "Trop de tentatives" in response.get_data(as_text=True)


def test_password_reset_flow_is_single_use(client, db):
    user = make_user(email="r@example.org", confirmed=False)
    db.session.commit()
    response = client.post("/account/forgot", data={"csrf_token": csrf_token(client, "/account/forgot"),
                                                     "email": "r@example.org"})
    assert response.status_code == 200
    path = link_in(outbox_to("r@example.org")[0], "/account/reset/")
    token = csrf_token(client, path)
    done = client.post(path, data={"csrf_token": token, "password": "tout nouveau secret",
                                   "password_again": "tout nouveau secret"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).email_confirmed
    assert _login(client, "r@example.org", "tout nouveau secret").status_code == 302
    reused = client.get(path)
    assert reused.status_code == 400 and "déjà été utilisé" in reused.get_data(as_text=True)


def test_password_reset_answers_the_same_for_unknown_email(client, db):
    known = make_user(email="k@example.org")
    db.session.commit()
    a = client.post("/account/forgot", data={"csrf_token": csrf_token(client, "/account/forgot"),
                                             "email": known.email})
    b = client.post("/account/forgot", data={"csrf_token": csrf_token(client, "/account/forgot"),
                                             "email": "unknown@example.org"})
    assert a.status_code == b.status_code == 200
    assert a.get_data(as_text=True).count("Si un compte") == b.get_data(as_text=True).count("Si un compte") == 1
    assert outbox_to("unknown@example.org") == []


def test_expired_reset_link_changes_nothing(client, db):
    user = make_user(email="e@example.org")
    db.session.commit()
    client.post("/account/forgot", data={"csrf_token": csrf_token(client, "/account/forgot"), "email": user.email})
    path = link_in(outbox_to(user.email)[0], "/account/reset/")
    before = user.password_hash
    with mock.patch.object(clock, "_now", return_value=clock.utcnow() + timedelta(hours=2)):
        response = client.post(path, data={"csrf_token": csrf_token(client, "/account/forgot"),
                                           "password": "tout nouveau secret", "password_again": "tout nouveau secret"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == before


def test_reset_with_mismatched_passwords_keeps_the_token_usable(client, db):
    user = make_user(email="m@example.org")
    db.session.commit()
    client.post("/account/forgot", data={"csrf_token": csrf_token(client, "/account/forgot"), "email": user.email})
    path = link_in(outbox_to(user.email)[0], "/account/reset/")
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "password": "tout nouveau secret",
                                       "password_again": "pas pareil du tout"})
    assert response.status_code == 422
    token = db.session.scalar(select(AccountToken).where(AccountToken.user_id == user.id))
    assert token.used_at is None


def test_change_password_requires_the_current_one_and_signs_out_other_sessions(app, client, db):
    user = make_user(email="p@example.org")
    db.session.commit()
    login(client, user)
    other = app.test_client()
    login(other, user)
    bad = client.post("/account/password", data={"csrf_token": csrf_token(client, "/account/password"),
                                                  "current_password": "wrong one", "password": "tout nouveau secret",
                                                  "password_again": "tout nouveau secret"})
    assert bad.status_code == 422 and "Votre mot de passe actuel n’est pas correct." in bad.get_data(as_text=True)
    good = client.post("/account/password", data={"csrf_token": csrf_token(client, "/account/password"),
                                                   "current_password": PASSWORD, "password": "tout nouveau secret",
                                                   "password_again": "tout nouveau secret"})
    assert good.status_code == 302
    assert client.get("/account/profile").status_code == 200  # this session stays signed in
    assert other.get("/account/profile").status_code == 302  # the other one is signed out


def test_profile_update_and_validation(client, db, login_as):
    user = login_as()
    district = make_district("Fives")
    db.session.commit()
    path = "/account/profile"
    ok = client.post(path, data={"csrf_token": csrf_token(client, path), "display_name": "Nouveau nom",
                                 "locale": "en", "district": str(district.id)})
    assert ok.status_code == 302
    db.session.expire_all()
    saved = db.session.get(User, user.id)
    assert (saved.display_name, saved.locale, saved.district_id) == ("Nouveau nom", "en", district.id)
    bad = client.post(path, data={"csrf_token": csrf_token(client, path), "display_name": "",
                                  "locale": "en", "district": "0"})
    assert bad.status_code == 422
    db.session.expire_all()
    assert db.session.get(User, user.id).display_name == "Nouveau nom"


def test_profile_requires_sign_in(client, db):
    response = client.get("/account/profile")
    assert response.status_code == 302 and "/account/login" in response.location


def test_resend_confirmation(client, db, login_as):
    user = login_as(confirmed=False)
    response = client.post("/account/resend-confirmation",
                           data={"csrf_token": csrf_token(client, "/account/profile")})
    assert response.status_code == 302
    assert len(outbox_to(user.email)) == 1
