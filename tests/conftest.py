import pytest

from roman_lab import demo

pytest_plugins = ("pytest_jupyter.jupyter_server",)


@pytest.fixture
def jp_server_config():
    """A real jupyter_server with the roman-lab extension enabled, as an install does."""
    return {"ServerApp": {"jpserver_extensions": {"roman_lab": True}}}


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory):
    """The demo field at the small size, made once per test session (a few seconds)."""
    return demo.make(tmp_path_factory.mktemp("demo"), small=True, progress=False)
