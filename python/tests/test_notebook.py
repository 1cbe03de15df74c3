"""The example notebook runs as written, and its pages are drawn (HTML outputs present)."""

import nbformat
import pytest
from nbclient import NotebookClient


def test_the_example_notebook_runs_and_draws_its_pages(repo):
    path = repo / "examples" / "lecture-and-table.ipynb"
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o["data"]["text/html"] for o in outputs if "data" in o and "text/html" in o["data"]]
    assert len(html) >= 4, "the lecture, explain, chain and the small model's explanation draw as HTML"
    assert any("&lt;svg" in page for page in html), "explain's page has its drawing"
    text = "".join(o.get("text", "") for o in outputs)
    assert "test accuracy 0.9" in text or "test accuracy 1.0" in text, text
    assert pytest.approx(0.082167041, abs=1e-9) == next(
        float(o["data"]["text/plain"].strip("()").split(",")[0])
        for o in outputs
        if "data" in o and "text/plain" in o["data"] and o["data"]["text/plain"].startswith("(0.0821")
    )
