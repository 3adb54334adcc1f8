"""Scanners and converters for MUG, UvA-NEMO, NATOPS, Weizmann and generic class folders.

Each `convert_X(src, out, ...)` scans the source tree (read-only), builds SourceItems and
hands them to `run_conversion`, returning a ConversionSummary.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

from ...labels import EXPRESSIONS, NATOPS_GESTURES, SMILES, WEIZMANN_ACTIONS
from .driver import ConvertOptions, FaceCropCounter, SkipSource, SourceItem, run_conversion
from .video_io import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, numeric_sort_key, read_frame_folder, read_video

__all__ = ["convert_mug", "convert_uva_nemo", "convert_natops", "convert_weizmann", "convert_folder",
           "read_natops_segments", "MUG_LAYOUT", "NATOPS_SEGMENTS_FORMAT"]

MUG_LAYOUT = ("<subject>/<expression>/<takeNNN>/img_NNNN.jpg "
              "(optionally <subject>/session0|1/<expression>/<takeNNN>/...)")
NATOPS_SEGMENTS_FORMAT = ("one line per repetition: `gXX sYY rep start end` (0-based frame numbers, "
                          "end inclusive; '#' starts a comment; commas also separate)")


def _sorted_dirs(folder: Path) -> list[Path]:
    return sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: numeric_sort_key(p.name))


def _video_files(folder: Path) -> list[Path]:
    return sorted((p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS),
                  key=lambda p: numeric_sort_key(str(p.relative_to(folder))))


def _has_images(folder: Path) -> bool:
    return any(p.suffix.lower() in IMAGE_EXTENSIONS for p in folder.iterdir() if p.is_file())


def _require_source(src) -> Path:
    """The source folder as a Path; FileNotFoundError naming it when it does not exist."""
    src = Path(src)
    if not src.is_dir():
        raise FileNotFoundError(f"source folder {src} does not exist; pass the folder of your download")
    return src


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


# ----------------------------------------------------------------------------- MUG

def _face_cropper(opt: ConvertOptions) -> FaceCropCounter:
    """The face track of MUG / UvA-NEMO (on unless face_crop=False, then the fixed centre box)."""
    return FaceCropCounter(opt.face_crop is not False, opt.face_enlarge, cascade_path=opt.face_cascade)


def convert_mug(src, out, options: ConvertOptions | None = None, *, include_neutral: bool = False, **overrides):
    """MUG facial expressions (frame folders) -> clip store; faces cropped with a Haar cascade.
    options / overrides: ConvertOptions (MUG takes are frame folders: no fps)."""
    src, opt = _require_source(src), ConvertOptions.build(options, **overrides)
    opt.refuse("MUG (frame folders, no frame rate; use stride)", "fps")
    image_size, stride = opt.image_size, opt.stride
    classes = tuple(EXPRESSIONS) + (("neutral",) if include_neutral else ())
    cropper = _face_cropper(opt)
    items = []
    for subject in (_sorted_dirs(src) if src.is_dir() else []):
        levels = [subject]
        sessions = [d for d in _sorted_dirs(subject) if re.fullmatch(r"session\d+", d.name.lower())]
        levels += sessions
        for level in levels:
            for expression in _sorted_dirs(level):
                if expression in sessions:
                    continue
                for take in _sorted_dirs(expression):
                    if not _has_images(take):
                        continue
                    name = expression.name.lower()
                    skip = None
                    if name == "neutral" and not include_neutral:
                        skip = ("neutral skipped", "pass --include-neutral to keep it")
                    elif name not in classes:
                        skip = ("unknown class", f"{expression.name!r} is not one of {', '.join(classes)}")
                    items.append(SourceItem(
                        key=_relative(take, src), identity=subject.name, label=name if skip is None else None,
                        read=lambda take=take: [(_relative(take, src),
                                                 read_frame_folder(take, image_size, stride, boxes_for=cropper))],
                        skip=skip))
    if not items:
        raise ValueError(f"no MUG takes found under {src}; expected {MUG_LAYOUT}")
    return run_conversion(items, src, out, classes, opt, kind="mug", description=f"MUG facial expressions from {src}",
                          notes=cropper.notes)


# ----------------------------------------------------------------------------- UvA-NEMO

def _smile_label(stem: str) -> str | None:
    lower = stem.lower()
    if "deliberate" in lower or "posed" in lower:
        return "posed"
    if "spontaneous" in lower:
        return "spontaneous"
    return None


def convert_uva_nemo(src, out, options: ConvertOptions | None = None, **overrides):
    """UvA-NEMO smiles (`001_deliberate_smile_1.mp4`, `001_spontaneous_smile_2.mp4`) -> clip store."""
    src, opt = _require_source(src), ConvertOptions.build(options, **overrides)
    image_size, stride, fps = opt.image_size, opt.stride, opt.fps
    cropper = _face_cropper(opt)
    items = []
    for path in (_video_files(src) if src.is_dir() else []):
        key = _relative(path, src)
        label = _smile_label(path.stem)
        subject = re.match(r"(\d+)", path.stem)
        skip = None
        if label is None:
            skip = ("unknown class", "file name has neither deliberate/posed nor spontaneous")
        elif subject is None:
            skip = ("no subject id", "file name must start with the subject number, e.g. 001_...")
        items.append(SourceItem(
            key=key, identity=subject.group(1) if subject else "", label=label,
            read=lambda path=path, key=key: [(key, read_video(path, image_size, stride, fps, boxes_for=cropper))],
            skip=skip))
    if not items:
        raise ValueError(f"no video files found under {src}; expected e.g. 001_deliberate_smile_1.mp4, "
                         "001_spontaneous_smile_2.mp4")
    return run_conversion(items, src, out, SMILES, opt, kind="uva-nemo", description=f"UvA-NEMO smiles from {src}",
                          notes=cropper.notes)


# ----------------------------------------------------------------------------- NATOPS

def read_natops_segments(path) -> dict[tuple[int, int], list[tuple[int, int, int]]]:
    """Parse a segmentation file -> {(gesture, subject): [(rep, start, end_inclusive), ...]}."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"NATOPS segmentation file {path} not found; pass --segments FILE with "
                                + NATOPS_SEGMENTS_FORMAT)
    segments: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        text = line.split("#", 1)[0].replace(",", " ").split()
        if not text:
            continue
        match_g = re.fullmatch(r"g?(\d+)", text[0].lower())
        match_s = re.fullmatch(r"s?(\d+)", text[1].lower()) if len(text) > 1 else None
        if len(text) != 5 or not match_g or not match_s or not all(t.isdigit() for t in text[2:]):
            raise ValueError(f"{path}:{number}: cannot parse {line.strip()!r}; expected "
                             + NATOPS_SEGMENTS_FORMAT)
        rep, start, end = (int(t) for t in text[2:])
        segments.setdefault((int(match_g.group(1)), int(match_s.group(1))), []).append((rep, start, end))
    return segments


def _natops_reader(path: Path, key: str, reps, image_size: int, stride: int, fps):
    def read():
        video = read_video(path, image_size, 1, None)
        step = max(1, int(stride))
        if fps is not None:
            import av  # deferred, import cost: PyAV, only for reading or writing video files
            with av.open(str(path)) as container:
                rate = container.streams.video[0].average_rate
            step = max(1, int(round(float(rate) / fps))) if rate else step
        clips = []
        for rep, start, end in sorted(reps):
            if start < 0 or end < start or end >= len(video):
                raise SkipSource("segment outside video",
                                 f"rep {rep} frames {start}..{end}, video has {len(video)} frames")
            clips.append((f"{key}#rep{rep:02d}", video[start:end + 1:step]))
        return clips
    return read


def convert_natops(src, out, options: ConvertOptions | None = None, *, segments=None, **overrides):
    """NATOPS gestures (`gXXsYY.avi`, all repetitions per file) + segmentation file -> clip store."""
    src, opt = _require_source(src), ConvertOptions.build(options, **overrides)
    opt.refuse("NATOPS (whole-body gestures)", "face_crop", "face_enlarge", "face_cascade")
    image_size, stride, fps = opt.image_size, opt.stride, opt.fps
    segments_path = Path(segments) if segments else src / "segmentation.txt"
    table = read_natops_segments(segments_path)
    items = []
    for path in (_video_files(src) if src.is_dir() else []):
        match = re.fullmatch(r"g(\d+)s(\d+)", path.stem.lower())
        if not match:
            continue
        gesture, subject = int(match.group(1)), int(match.group(2))
        key = _relative(path, src)
        skip, label = None, None
        if not 1 <= gesture <= len(NATOPS_GESTURES):
            skip = ("unknown class", f"gesture {gesture} is not in 1..{len(NATOPS_GESTURES)}")
        elif (gesture, subject) not in table:
            skip = ("no segments", f"{segments_path.name} has no lines for g{gesture:02d} s{subject:02d}")
        else:
            label = NATOPS_GESTURES[gesture - 1]
        items.append(SourceItem(key=key, identity=f"s{subject:02d}", label=label, skip=skip,
                                read=_natops_reader(path, key, table.get((gesture, subject), []),
                                                    image_size, stride, fps)))
    if not items:
        raise ValueError(f"no NATOPS videos found under {src}; expected files named gXXsYY.avi "
                         "(e.g. g01s01.avi) and a segmentation file")
    return run_conversion(items, src, out, NATOPS_GESTURES, opt, kind="natops",
                          description=f"NATOPS gestures from {src}")


# ----------------------------------------------------------------------------- Weizmann

def _weizmann_action(action: str) -> str | None:
    action = action.lower()
    if action in WEIZMANN_ACTIONS:
        return action
    stripped = action.rstrip("0123456789")
    return stripped if stripped in WEIZMANN_ACTIONS else None


def convert_weizmann(src, out, options: ConvertOptions | None = None, **overrides):
    """Weizmann actions (`<actor>_<action>.avi`, e.g. daria_walk.avi, lena_walk1.avi) -> clip store."""
    src, opt = _require_source(src), ConvertOptions.build(options, **overrides)
    opt.refuse("Weizmann (whole-body actions)", "face_crop", "face_enlarge", "face_cascade")
    image_size, stride, fps = opt.image_size, opt.stride, opt.fps
    items = []
    for path in (_video_files(src) if src.is_dir() else []):
        key = _relative(path, src)
        actor, _, action = path.stem.partition("_")
        label = _weizmann_action(action) if action else None
        skip = None if label else ("unknown class", f"{path.stem!r} is not <actor>_<action> with action in "
                                   + ", ".join(WEIZMANN_ACTIONS))
        items.append(SourceItem(key=key, identity=actor.lower(), label=label, skip=skip,
                                read=lambda path=path, key=key: [(key, read_video(path, image_size, stride, fps))]))
    if not items:
        raise ValueError(f"no videos found under {src}; expected <actor>_<action>.avi, e.g. daria_walk.avi")
    return run_conversion(items, src, out, WEIZMANN_ACTIONS, opt, kind="weizmann",
                          description=f"Weizmann actions from {src}")


# ----------------------------------------------------------------------------- generic folders

def convert_folder(src, out, options: ConvertOptions | None = None, *, classes: Sequence[str] | None = None,
                   identity_pattern: str | None = None, **overrides):
    """`src/<class>/<video file or folder of frames>` -> clip store.

    classes: default sorted subfolder names. identity_pattern: regex whose first group (or whole
    match) of the entry name is the identity used for splitting; default each entry is its own.
    options.face_crop: opt-in face track as in MUG / UvA-NEMO (default: the full centre square).
    """
    src, opt = _require_source(src), ConvertOptions.build(options, **overrides)
    image_size, stride, fps = opt.image_size, opt.stride, opt.fps
    cropper = FaceCropCounter(True, opt.face_enlarge, cascade_path=opt.face_cascade) if opt.face_crop else None
    class_dirs = _sorted_dirs(src) if src.is_dir() else []
    classes = list(classes) if classes else sorted(d.name for d in class_dirs)
    pattern = re.compile(identity_pattern) if identity_pattern else None
    items = []
    for class_dir in class_dirs:
        for entry in sorted(class_dir.iterdir(), key=lambda p: numeric_sort_key(p.name)):
            is_video = entry.is_file() and entry.suffix.lower() in VIDEO_EXTENSIONS
            is_frames = entry.is_dir() and _has_images(entry)
            if not (is_video or is_frames):
                continue
            key = _relative(entry, src)
            stem = entry.stem if is_video else entry.name
            identity = stem
            if pattern is not None:
                match = pattern.search(stem)
                identity = (match.group(1) if match.groups() else match.group(0)) if match else stem
            skip = None if class_dir.name in classes else (
                "unknown class", f"{class_dir.name!r} is not one of {', '.join(classes)}")
            if is_video:
                read = lambda entry=entry, key=key: [(key, read_video(entry, image_size, stride, fps, cropper))]
            else:
                read = lambda entry=entry, key=key: [(key, read_frame_folder(entry, image_size, stride, cropper))]
            items.append(SourceItem(key=key, identity=identity, label=class_dir.name if skip is None else None,
                                    read=read, skip=skip))
    if not items:
        raise ValueError(f"no videos or frame folders found under {src}; expected "
                         "<src>/<class>/<video file or folder of numbered images>")
    return run_conversion(items, src, out, classes, opt, kind="folder", description=f"class folders from {src}",
                          notes=cropper.notes if cropper else None)
