"""Sphinx configuration of the press_control documentation (Sphinx with MyST Markdown).

Built in the test suite with warnings as errors (test/test_docs_build.py):
sphinx-build -W --keep-going -b html docs <out>.
"""
import os
import sys
import xml.etree.ElementTree as ElementTree

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)

project = "press_control"
author = "press_control maintainers"
copyright = "2026, press_control maintainers (Apache-2.0)"
release = version = ElementTree.parse(os.path.join(ROOT, "package.xml")).getroot() \
    .findtext("version")

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.viewcode"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
myst_heading_anchors = 3
html_theme = "alabaster"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "undoc-members": False}
# The ROS layer needs a sourced workspace; the API pages document the pure core only.
nitpicky = False
