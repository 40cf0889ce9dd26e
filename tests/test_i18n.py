"""The interface speaks the user's language: their setting, else the browser's."""

from __future__ import annotations

from enable.auth.models import Role


def test_browser_language_chooses_russian(client):
    page = client.get("/auth/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).get_data(as_text=True)
    assert "Вход в Enable" in page and 'lang="ru"' in page


def test_english_by_default(client):
    assert "Sign in to Enable" in client.get("/auth/login").get_data(as_text=True)


def test_user_setting_wins_over_the_browser(login):
    client = login(Role.REP)
    client.post("/auth/settings", data={"locale": "ru"})
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Добро пожаловать" in page


def test_language_switch_for_anonymous_visitors(client):
    response = client.post("/language", data={"locale": "ru", "next": "/auth/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert "Вход в Enable" in client.get("/auth/login").get_data(as_text=True)
    assert client.post("/language", data={"locale": "ru", "next": "https://evil.example/"}).headers["Location"] == "/"
