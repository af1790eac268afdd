"""The interactive map app for class: a Mesa SolaraViz page over :class:`model.CBECModel`.

``cbec app`` or ``python -m app`` starts it on http://127.0.0.1:8765 (see docs/app.md);
``solara run app.app`` works too. Importing this package is cheap: Solara, Mesa's visualisation
and the model are imported only by :mod:`app.app` and :func:`main`.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Start the app server (``python -m app --help`` lists the options); returns the exit
    status."""
    from app.launch import main as _main

    return _main(argv)


__all__ = ["main"]
