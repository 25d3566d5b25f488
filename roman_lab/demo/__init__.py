"""The demo data set: a synthetic Roman WFI field around a low surface brightness galaxy.

`make(dir, small=False)` writes L1 ramps, L2 exposures, an L3 mosaic with lineage, an example
user algorithm, a notebook and a README into `dir`, and returns the manifest (`dir/demo.json`).
"""

from .field import GENERATOR_VERSION
from .generate import DemoError, DemoManifest, make

__all__ = ["GENERATOR_VERSION", "DemoError", "DemoManifest", "make"]
