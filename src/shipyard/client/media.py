"""Python objects as artifact files: text, dicts, figures, images and tables.

Each writer puts one file at a local path; the client uploads it. The files are the ones
MLflow's client writes for the same calls, so either UI shows them: JSON or YAML for dicts,
PNG for images (with a 256-pixel WebP preview for stepped images), and tables as pandas'
``split`` JSON (``{"columns": [...], "data": [[...], ...]}``).

matplotlib, plotly, numpy, Pillow and pandas are imported only when an object of theirs is
passed, so none of them is needed to use the rest of the client.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from shipyard.domain.errors import InvalidParameter

PREVIEW_SIZE = 256
TABLE_TYPE = "table"
LOGGED_ARTIFACTS_TAG = "mlflow.loggedArtifacts"
LOGGED_IMAGES_TAG = "mlflow.loggedImages"


def _module(obj: object) -> str:
    return type(obj).__module__.split(".")[0]


def write_text(text: str, target: Path) -> None:
    """A text file, UTF-8."""
    target.write_text(text, encoding="utf-8")


def write_dict(dictionary: Any, target: Path) -> None:
    """YAML for ``.yml``/``.yaml`` names, else indented JSON (values JSON lacks as strings)."""
    with open(target, "w", encoding="utf-8") as handle:
        if target.suffix in (".yml", ".yaml"):
            yaml.safe_dump(dictionary, handle, indent=2, default_flow_style=False)
        else:
            json.dump(dictionary, handle, indent=2, default=str)


def write_figure(figure: Any, target: Path, save_kwargs: Mapping[str, Any] | None = None) -> None:
    """A matplotlib figure (any format it saves) or a plotly figure (HTML, or an image)."""
    options = dict(save_kwargs or {})
    library = _module(figure)
    if library == "matplotlib":
        figure.savefig(target, **options)
    elif library == "plotly":
        if target.suffix == ".html":
            options.setdefault("include_plotlyjs", "cdn")
            options.setdefault("auto_open", False)
            figure.write_html(str(target), **options)
        elif target.suffix in (".png", ".jpeg", ".jpg", ".webp", ".svg", ".pdf"):
            figure.write_image(str(target), **options)
        else:
            raise InvalidParameter(
                f"A plotly figure is saved as .html, .png, .jpeg, .webp, .svg or .pdf, "
                f"not {target.suffix or 'a file without an extension'}."
            )
    else:
        raise TypeError(
            f"log_figure takes a matplotlib or plotly figure, not {type(figure).__name__}."
        )


def to_image(image: Any) -> Any:
    """A Pillow image from a Pillow image or a numpy array (H x W, H x W x 1, 3 or 4)."""
    library = _module(image)
    if library == "PIL":
        return image
    if library != "numpy":
        raise TypeError(
            f"log_image takes a numpy array or a Pillow image, not {type(image).__name__}."
        )
    import numpy as np

    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError(
            "Logging a numpy array as an image needs Pillow: pip install pillow"
        ) from exc
    pixels = np.asarray(image)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] not in (3, 4)):
        raise InvalidParameter(
            f"An image array is H x W, H x W x 1, H x W x 3 or H x W x 4, not {pixels.shape}."
        )
    kind = pixels.dtype.kind
    if kind == "b":
        pixels = pixels.astype(np.uint8) * 255
    elif kind in "iu":
        if pixels.size and (pixels.min() < 0 or pixels.max() > 255):
            raise InvalidParameter("Integer pixel values must lie between 0 and 255.")
        pixels = pixels.astype(np.uint8)
    elif kind == "f":
        low, high = (float(pixels.min()), float(pixels.max())) if pixels.size else (0.0, 1.0)
        if low < 0 or high > 1:
            warnings.warn(
                "Float pixel values outside [0, 1]: rescaled from their minimum and maximum.",
                stacklevel=3,
            )
            pixels = (pixels - low) / ((high - low) or 1.0)
        pixels = np.rint(pixels * 255).astype(np.uint8)
    else:
        raise InvalidParameter(f"Pixels of dtype {pixels.dtype} are not an image.")
    return Image.fromarray(pixels)


def preview(image: Any) -> Any:
    """The image scaled to fit a PREVIEW_SIZE square, keeping its aspect ratio."""
    width, height = image.size
    scale = PREVIEW_SIZE / max(width, height, 1)
    return image.resize((max(1, round(width * scale)), max(1, round(height * scale))))


# -- tables --------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if hasattr(value, "item") and callable(value.item) and _module(value) == "numpy":
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _is_column(value: Any) -> bool:
    return isinstance(value, list | tuple) or _module(value) in ("numpy", "pandas")


def table_from(data: Any) -> dict[str, list[Any]]:
    """``{"columns", "data"}`` from a dict of columns (or of scalars: one row) or a DataFrame."""
    if _module(data) == "pandas":
        payload = json.loads(data.to_json(orient="split", index=False, date_format="iso"))
        return {"columns": [str(c) for c in payload["columns"]], "data": payload["data"]}
    if not isinstance(data, Mapping):
        raise TypeError(
            f"log_table takes a dict of columns or a pandas DataFrame, not {type(data).__name__}."
        )
    columns = [str(key) for key in data]
    values = list(data.values())
    if not any(_is_column(value) for value in values):
        return {"columns": columns, "data": [[_cell(value) for value in values]]}
    cells = [list(value) if _is_column(value) else None for value in values]
    if any(column is None for column in cells):
        raise InvalidParameter("A table's columns must all be lists, or all single values.")
    lengths = {len(column) for column in cells if column is not None}
    if len(lengths) > 1:
        raise InvalidParameter(f"A table's columns must have one length, not {sorted(lengths)}.")
    rows = [[_cell(value) for value in row] for row in zip(*cells, strict=True)]
    return {"columns": columns, "data": rows}


def append_table(existing: dict[str, list[Any]], new: dict[str, list[Any]]) -> dict[str, Any]:
    """Rows of ``new`` after those of ``existing``; columns joined, missing cells empty."""
    columns = list(existing["columns"]) + [
        c for c in new["columns"] if c not in existing["columns"]
    ]
    rows = []
    for table in (existing, new):
        where = {column: i for i, column in enumerate(table["columns"])}
        for row in table["data"]:
            rows.append([row[where[c]] if c in where else None for c in columns])
    return {"columns": columns, "data": rows}


def write_table(table: Mapping[str, Any], target: Path) -> None:
    """A table as pandas' split JSON."""
    target.write_text(json.dumps(table, default=str), encoding="utf-8")


def read_table(source: Path) -> dict[str, list[Any]]:
    """A table written by ``write_table`` (or by MLflow)."""
    payload = json.loads(source.read_text(encoding="utf-8"))
    if not isinstance(payload, dict) or "columns" not in payload or "data" not in payload:
        raise InvalidParameter(f"{source.name} is not a table logged by log_table.")
    return {"columns": list(payload["columns"]), "data": list(payload["data"])}
