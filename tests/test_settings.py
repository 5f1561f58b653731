from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from middlepath import settings


class TestEnvironmentHelpers:
    @pytest.mark.parametrize(
        ("raw", "value"), [("1", True), ("yes", True), ("off", False), ("", False)]
    )
    def test_booleans(self, monkeypatch, raw, value):
        monkeypatch.setenv("X_FLAG", raw)
        assert settings.env_bool("X_FLAG", not value) is value

    def test_a_typo_stops_start_up(self, monkeypatch):
        monkeypatch.setenv("X_FLAG", "ture")
        with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
            settings.env_bool("X_FLAG", False)

    def test_numbers(self, monkeypatch):
        monkeypatch.setenv("X_NUMBER", "20")
        assert settings.env_int("X_NUMBER", 15, minimum=1) == 20
        monkeypatch.setenv("X_NUMBER", "0")
        with pytest.raises(ImproperlyConfigured, match="at least 1"):
            settings.env_int("X_NUMBER", 15, minimum=1)
        monkeypatch.setenv("X_NUMBER", "fifteen")
        with pytest.raises(ImproperlyConfigured, match="whole number"):
            settings.env_int("X_NUMBER", 15)

    def test_choices(self, monkeypatch):
        monkeypatch.delenv("X_MODE", raising=False)
        assert settings.env_choice("X_MODE", "thread", ("thread", "worker")) == "thread"
        monkeypatch.setenv("X_MODE", " Worker ")
        assert settings.env_choice("X_MODE", "thread", ("thread", "worker")) == "worker"
        monkeypatch.setenv("X_MODE", "threads")
        with pytest.raises(ImproperlyConfigured, match="X_MODE must be one of thread, worker"):
            settings.env_choice("X_MODE", "thread", ("thread", "worker"))

    def test_lists(self, monkeypatch):
        monkeypatch.setenv("X_HOSTS", "a.example, b.example,")
        assert settings.env_list("X_HOSTS", []) == ["a.example", "b.example"]

    def test_a_secret_file_is_made_once_and_private(self, tmp_path, monkeypatch):
        monkeypatch.delenv("X_SECRET", raising=False)
        path = tmp_path / "var" / "x.key"
        first = settings.secret_from_env_or_file("X_SECRET", path)
        assert settings.secret_from_env_or_file("X_SECRET", path) == first
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        monkeypatch.setenv("X_SECRET", "from-env")
        assert settings.secret_from_env_or_file("X_SECRET", path) == "from-env"


def test_sqlite_is_configured_for_safe_concurrent_writes():
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("SQLite only")
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert "synchronous=FULL" in database["OPTIONS"]["init_command"]
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
