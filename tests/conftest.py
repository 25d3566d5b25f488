import pytest

pytest_plugins = ("pytest_jupyter.jupyter_server",)


@pytest.fixture
def jp_server_config():
    """A real jupyter_server with the roman-lab extension enabled, as an install does."""
    return {"ServerApp": {"jpserver_extensions": {"roman_lab": True}}}
