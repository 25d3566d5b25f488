"""roman_lab.Viewer against astropy's image display API conformance suite, all of it."""

import pytest
from astro_image_display_api import ImageViewerInterface
from astro_image_display_api.api_test import ImageAPITest

import roman_lab


@pytest.fixture(autouse=True)
def _kernel_folder(tmp_path, monkeypatch):
    """Arrays are written under the kernel's working directory: a fresh one per test."""
    monkeypatch.chdir(tmp_path)


class TestViewerImageAPI(ImageAPITest):
    image_widget_class = roman_lab.Viewer


def test_viewer_is_an_image_viewer():
    assert isinstance(roman_lab.Viewer(), ImageViewerInterface)
