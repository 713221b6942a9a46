"""Image files (PNG, JPEG, GIF, BMP, TIFF): a scanned report or a 统计附表
published as a picture, read by OCR into paragraphs and tables.

A multi-frame TIFF or GIF is read frame by frame as pages (up to the OCR
page cap); everything else is one page.
"""

from __future__ import annotations

from PIL import ImageSequence

from . import limits
from .document import Document
from .ocr import open_image, read_image, upright


def read_image_file(data: bytes, *, filename=None, content_type=None, base_dir=None) -> Document:
    limits.check_input_size(data)
    name = filename or "image"
    first = open_image(data, name)  # checks the pixel cap and decodes; raises ParseError if unreadable
    doc = Document(source_format="ocr")
    frames = _frames(data, first)
    if len(frames) > limits.MAX_OCR_PAGES:
        doc.warnings.append(f"{name}: {len(frames)} frames; read the first {limits.MAX_OCR_PAGES} only")
        frames = frames[: limits.MAX_OCR_PAGES]
    for number, frame in enumerate(frames):
        label = name if len(frames) == 1 else f"{name} frame {number + 1}"
        # a scan fed sideways or upside down, or two pages on one sheet
        pages, _, notes = upright(frame, label)
        doc.warnings += notes
        for page in pages:
            doc.blocks += read_image(page, doc.warnings, label)
    return doc


def _frames(data: bytes, first) -> list:
    import io

    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(data)) as image:
        count = getattr(image, "n_frames", 1)
        if count <= 1:
            return [first]
        frames = []
        for frame in ImageSequence.Iterator(image):
            frames.append(frame.convert("RGB"))
            if len(frames) > limits.MAX_OCR_PAGES:
                break
        return frames
