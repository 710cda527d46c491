import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files and error files of a test stay in its own directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
