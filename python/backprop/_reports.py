"""The lecture's tools in a notebook: ``explain``, ``chain``, ``check`` and ``lecture``.

Each returns a :class:`Report`: ``str()`` is the command line's text, ``.to_dict()`` the JSON
it writes with ``--format json``, and in Jupyter or VS Code the page is drawn inline
(``_repr_html_``: the command line's HTML page, drawing included; ``_repr_markdown_``: its
markdown with LaTeX). Every number is computed by the same Rust code as ``backprop explain``.
"""

from __future__ import annotations

import html
import json
import os
from typing import Any, Dict, Mapping, Optional, Union

from . import _native

NetworkLike = Union[None, str, "os.PathLike[str]", Mapping[str, Any], Any]


class Report:
    """One answer of the lecture's tools, in every form a notebook shows."""

    def __init__(self, kind: str, pages: Dict[str, str]) -> None:
        self.kind = kind
        self._pages = pages

    def to_dict(self) -> Any:
        """The answer as ``--format json`` writes it."""
        return json.loads(self._pages["json"])

    def __str__(self) -> str:
        return self._pages["text"]

    def __repr__(self) -> str:
        lines = len(self._pages["text"].splitlines())
        return f"<backprop {self.kind}: {lines} lines; print() it, or show it in a notebook>"

    def _repr_markdown_(self) -> Optional[str]:
        return self._pages.get("markdown")

    def _repr_html_(self) -> str:
        page = self._pages.get("html")
        if page is None:
            return f"<pre>{html.escape(self._pages['text'])}</pre>"
        if not page.lstrip().startswith("<!DOCTYPE"):
            return page
        # A whole page (its own styles) goes in a frame, so it neither takes nor leaks styles. Its
        # height: the derivation's lines and the drawing above them, then the page's own height
        # once it has loaded (where the notebook runs the frame's onload).
        lines = len(self._pages["text"].splitlines())
        height = min(4000, 250 + 17 * lines + (400 if "<svg" in page else 0))
        fit = "this.style.height=(this.contentWindow.document.documentElement.scrollHeight+20)+'px'"
        return (
            f'<iframe srcdoc="{html.escape(page, quote=True)}" style="width:100%;height:{height}px;border:none" '
            f'sandbox="allow-same-origin" onload="{fit}"></iframe>'
        )


def _network_text(network: NetworkLike) -> Optional[str]:
    """A network as the JSON text of a network file: a dict, a path, or a fitted estimator's first example."""
    if network is None:
        return None
    if isinstance(network, Mapping):
        return json.dumps(network)
    if isinstance(network, (str, os.PathLike)):
        with open(network, encoding="utf-8") as f:
            return f.read()
    first_example = getattr(network, "first_example", None)
    if callable(first_example):
        return json.dumps(first_example())
    raise TypeError(
        "network must be a dict, a path to a network file, or a fitted backprop estimator, "
        f"not {type(network).__name__}"
    )


def explain(network: NetworkLike = None, steps: int = 1, verify: bool = False) -> Report:
    """Every forward value, every gradient as its chain of factors, every update (``backprop explain``).

    ``network``: the lecture's 2-2-2 network when None; else a network file as a dict or a path
    (dense layers, or convolutional ones in the ``--layers`` words), or a fitted estimator
    (its network on its first training example). ``verify`` puts central differences beside
    every gradient.
    """
    return Report("explain", _native.explain(_network_text(network), steps=steps, verify=verify))


def chain(
    definitions: Any,
    wrt: str,
    at: Optional[Mapping[str, float]] = None,
    *,
    of: Optional[str] = None,
    verify: bool = False,
    answer: Optional[str] = None,
) -> Report:
    """The chain rule along every path (``backprop chain``): ``chain(["y = 5x + 3", "x = t^2"], "t", at={"t": 3})``.

    ``answer``: a derivative of yours to mark (``"10t"``).
    """
    if isinstance(definitions, str):
        definitions = [definitions]
    request: Dict[str, Any] = {"definitions": list(definitions), "wrt": wrt, "verify": verify}
    if at is not None:
        request["at"] = {k: float(v) for k, v in at.items()}
    if of is not None:
        request["of"] = of
    if answer is not None:
        request["answer"] = answer
    return Report("chain", _native.chain(json.dumps(request)))


def check(answers: Any, network: NetworkLike = None) -> Report:
    """Your hand calculation marked (``backprop explain --check``).

    ``answers``: symbols to numbers (``{"out_H1": 0.5933, "dE/dw5": 0.0822}``), a list of such
    dicts with ``"step"``, or a path to such a JSON file. Each wrong number is traced to an
    earlier wrong answer of yours or to a known mistake.
    """
    if isinstance(answers, (str, os.PathLike)):
        with open(answers, encoding="utf-8") as f:
            text = f.read()
    else:
        text = json.dumps(answers)
    return Report("check", _native.check(text, _network_text(network)))


def lecture(steps: int = 10_000, every: int = 1_000, f32: bool = False) -> Report:
    """The lecture's network trained by gradient descent, its error as it falls (``backprop lecture``)."""
    return Report("lecture", _native.lecture(steps=steps, every=every, f32=f32))
