"""``verbose``: a fit's description, then a line per epoch, or a tqdm bar when tqdm is installed."""

from __future__ import annotations

import sys
from typing import Any, Dict


class Progress:
    """What ``fit`` shows with ``verbose=1``; the native module calls ``start`` and ``epoch``."""

    def __init__(self, verbose: int) -> None:
        self.verbose = verbose
        self.bar = None

    def start(self, description: str, epochs: int) -> None:
        print(description)
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=epochs, unit="epoch", file=sys.stderr)

    def epoch(self, m: Dict[str, Any]) -> None:
        parts = [f"epoch {m['epoch']}", f"loss {m['train_loss']:.4f}"]
        if m["val_loss"] is not None:
            parts.append(f"val loss {m['val_loss']:.4f}")
        if m["val_accuracy"] is not None:
            parts.append(f"val acc {m['val_accuracy']:.4f}")
        if m["val_r2"] is not None:
            parts.append(f"val R² {m['val_r2']:.4f}")
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(", ".join(parts[1:]))
        else:
            print(", ".join(parts))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
