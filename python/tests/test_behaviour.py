"""What a Python user expects of a long fit: the GIL released, Ctrl-C honoured, nothing half-written."""

import signal
import subprocess
import sys
import textwrap
import threading

import numpy as np

import backprop


def big_table(rows=60_000, width=20):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, width))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


def test_fit_releases_the_gil_while_it_trains():
    X, y = big_table()
    done = threading.Event()

    def fit():
        backprop.Classifier(epochs=40, hidden=[64], n_jobs=1).fit(X, y)
        done.set()

    worker = threading.Thread(target=fit)
    worker.start()
    counted = 0
    while not done.is_set():
        counted += 1
    worker.join()
    # Holding the GIL for its seconds of training, the fit would leave this loop a few
    # thousand turns (one per switch interval) instead of millions.
    assert counted > 1_000_000, counted


CHILD = textwrap.dedent(
    """
    import sys, warnings
    sys.modules["tqdm"] = None  # the plain epoch lines, not a bar
    import numpy as np, backprop
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60_000, 20)); y = (X[:, 0] > 0).astype(int)
    model = backprop.Classifier(epochs=500, early_stop=500, verbose=1, n_jobs=1)
    try:
        model.fit(X, y)
        print("finished without interruption")
    except KeyboardInterrupt:
        print("interrupted; fitted:", hasattr(model, "classes_"), "epochs:", len(model.history_),
              "predicts:", model.predict(X[:5]).shape, flush=True)
    """
)


def test_ctrl_c_stops_between_steps_and_keeps_the_best_weights_so_far():
    child = subprocess.Popen(
        [sys.executable, "-u", "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    for line in child.stdout:
        if line.startswith("epoch 2,"):
            break
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert "interrupted; fitted: True" in out, out + err
    assert "predicts: (5,)" in out
    assert "training interrupted after" in err and "keeps the weights of epoch" in err, err
