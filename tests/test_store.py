"""Clip store: round trip, atomic writes, windows, value range, short clips, error messages."""
import json

import numpy as np
import pytest
import torch

from imaginator_lite.data.batching import iterate_batches
from imaginator_lite.data.store import ClipDataset, first_frame, load_meta, store_info, to_model_video
from imaginator_lite.data.store_writer import StoreWriter

CLASSES = ("a", "b", "c")


def _clip(length, value, size=8):
    """uint8 (length, size, size, 3) whose frame t is filled with value + t (to locate windows)."""
    frames = (value + np.arange(length)) % 256
    return np.broadcast_to(frames[:, None, None, None], (length, size, size, 3)).astype(np.uint8)


def _write(root, lengths=(10, 12, 6, 20), split="train", resume=False):
    with StoreWriter(root, CLASSES, 8, source="test", resume=resume) as writer:
        for n, length in enumerate(lengths):
            writer.add(_clip(length, 10 * n), n % 3, identity=f"id{n}", source=f"clip{n}", split=split)
    return root


def test_round_trip(tmp_path):
    root = _write(tmp_path / "store")
    meta = load_meta(root)
    assert meta["classes"] == list(CLASSES) and meta["image_size"] == 8
    assert meta["splits"]["train"] == {"clips": 4, "frames": 48}
    frames = np.load(root / "train" / "frames.npy")
    assert frames.shape == (48, 8, 8, 3) and frames.dtype == np.uint8
    index = json.loads((root / "train" / "index.json").read_text())
    assert [c["offset"] for c in index] == [0, 10, 22, 28]
    assert index[1]["label_name"] == "b" and index[1]["identity"] == "id1" and index[1]["source"] == "clip1"
    for n, clip in enumerate(index):
        assert np.array_equal(frames[clip["offset"]:clip["offset"] + clip["n_frames"]], _clip(clip["n_frames"], 10 * n))
    assert store_info(root)["splits"]["val"]["clips"] == 0
    assert not (tmp_path / "store.work").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_writer_error_leaves_no_partial_store_and_keeps_old_one(tmp_path):
    root = tmp_path / "store"
    with pytest.raises(RuntimeError):
        with StoreWriter(root, CLASSES, 8, resume=False) as writer:
            writer.add(_clip(10, 0), 0, "x")
            raise RuntimeError("interrupted")
    assert not root.exists() and list(tmp_path.iterdir()) == []
    _write(root)
    before = (root / "train" / "frames.npy").read_bytes()
    with pytest.raises(RuntimeError):
        with StoreWriter(root, CLASSES, 8, resume=False) as writer:
            writer.add(_clip(30, 0), 1, "y")
            raise RuntimeError("interrupted")
    assert (root / "train" / "frames.npy").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_resume_continues_from_checkpoint(tmp_path):
    root = tmp_path / "store"
    with pytest.raises(RuntimeError):
        with StoreWriter(root, CLASSES, 8, resume=True) as writer:
            writer.add(_clip(10, 0), 0, "p", source="f0")
            writer.mark_done("f0")
            writer.add(_clip(11, 5), 1, "q", source="f1")  # not marked done: must be dropped
            raise RuntimeError("interrupted")
    assert not root.exists() and (tmp_path / "store.work").is_dir()
    with StoreWriter(root, CLASSES, 8, resume=True) as writer:
        assert writer.resumed_from == "work" and writer.is_done("f0") and not writer.is_done("f1")
        writer.add(_clip(12, 7), 2, "r", source="f2")
        writer.mark_done("f2")
    ds = ClipDataset(root, "train", frames=10, random_window=False)
    assert ds.sources == ["f0", "f2"] and ds.lengths.tolist() == [10, 12]
    assert np.array_equal(ds.clip(1), _clip(12, 7))


def test_random_windows_lie_inside_their_clip(tmp_path):
    root = _write(tmp_path / "store", lengths=(10, 40, 16))
    ds = ClipDataset(root, "train", frames=8, seed=0)
    for i in range(len(ds)):
        first_values = set()
        for _ in range(30):
            window = ds.window(i)
            assert window.shape == (8, 8, 8, 3)
            start = int(window[0, 0, 0, 0]) - 10 * i
            assert 0 <= start <= ds.lengths[i] - 8
            assert np.array_equal(window, _clip(8, 10 * i + start))
            first_values.add(start)
        assert len(first_values) > 1
    fixed = ClipDataset(root, "train", frames=8, random_window=False)
    assert all(int(fixed.window(i)[0, 0, 0, 0]) == 10 * i for i in range(len(fixed)))


def test_item_and_batch_shapes_and_range(tmp_path):
    root = _write(tmp_path / "store", lengths=(10, 12, 14, 16, 18))
    ds = ClipDataset(root, "train", frames=8, seed=1)
    video, label = ds[2]
    assert video.shape == (3, 8, 8, 8) and video.dtype == torch.float32
    assert label.dtype == torch.int64 and int(label) == 2
    assert video.min() >= -1 and video.max() <= 1
    assert first_frame(video).shape == (3, 8, 8)
    videos, labels = ds.get_batch([0, 4, 1], window_rng=3)
    assert videos.shape == (3, 3, 8, 8, 8) and labels.tolist() == [0, 1, 1]
    assert first_frame(videos).shape == (3, 3, 8, 8)
    again, _ = ds.get_batch([0, 4, 1], window_rng=3)
    assert torch.equal(videos, again)
    assert torch.allclose(to_model_video(np.array([[[[[0, 255, 51]]]]], np.uint8)).flatten(),
                          torch.tensor([-1.0, 1.0, -0.6]))
    batches = list(iterate_batches(ds, batch_size=2, seed=0))
    assert len(batches) == 2 and all(v.shape == (2, 3, 8, 8, 8) for v, _ in batches)
    assert len(list(iterate_batches(ds, batch_size=2, seed=0, drop_last=False))) == 3
    reused = [v.clone() for v, _ in iterate_batches(ds, batch_size=2, seed=0, reuse_buffer=True)]
    assert all(torch.equal(a, b) for a, (b, _) in zip(reused, batches))
    loader = torch.utils.data.DataLoader(ds, batch_size=2)
    v, l = next(iter(loader))
    assert v.shape == (2, 3, 8, 8, 8) and l.dtype == torch.int64


def test_too_short_clips_are_excluded_with_warning(tmp_path):
    root = _write(tmp_path / "store", lengths=(10, 4, 12))
    with pytest.warns(UserWarning, match="clip1"):
        ds = ClipDataset(root, "train", frames=8)
    assert len(ds) == 2 and ds.sources == ["clip0", "clip2"]


def test_missing_store_and_bad_split_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="imaginator-lite data synth"):
        ClipDataset(tmp_path / "nowhere")
    (tmp_path / "half").mkdir()
    with pytest.raises(FileNotFoundError, match="meta.json"):
        ClipDataset(tmp_path / "half")
    root = _write(tmp_path / "store")
    with pytest.raises(ValueError, match="unknown split 'dev'"):
        ClipDataset(root, "dev")


def test_writer_rejects_bad_clips(tmp_path):
    with StoreWriter(tmp_path / "s", CLASSES, 8, resume=False) as writer:
        with pytest.raises(ValueError, match="uint8"):
            writer.add(np.zeros((4, 8, 8, 3), np.float32), 0, "x")
        with pytest.raises(ValueError, match="uint8"):
            writer.add(np.zeros((4, 16, 16, 3), np.uint8), 0, "x")
        with pytest.raises(ValueError, match="unknown label"):
            writer.add(np.zeros((4, 8, 8, 3), np.uint8), "zebra", "x")
        with pytest.raises(ValueError, match="unknown split"):
            writer.add(np.zeros((4, 8, 8, 3), np.uint8), 0, "x", split="dev")
        writer.add(np.zeros((4, 8, 8, 3), np.uint8), "c", "x", split="test")
    assert load_meta(tmp_path / "s")["splits"]["test"]["clips"] == 1


def test_replace_dir_swaps_a_folder_in_and_leaves_nothing_beside_it(tmp_path):
    """atomic.replace_dir, which both the store and the course editions publish with."""
    from imaginator_lite.atomic import replace_dir

    def folder(name, text):
        (tmp_path / name).mkdir()
        (tmp_path / name / "f.txt").write_text(text)
        return tmp_path / name

    target = replace_dir(folder("ready1", "one"), tmp_path / "out")  # nothing there yet
    assert (target / "f.txt").read_text() == "one"
    replace_dir(folder("ready2", "two"), target)  # an earlier folder is replaced whole
    assert (target / "f.txt").read_text() == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_batch_reader_hands_the_window_rng_under_either_keyword():
    """get_batch's numpy Generator keyword is window_rng; a dataset written for its old name, generator, still
    receives it."""
    from imaginator_lite.data.batching import BatchReader

    def batch(n):
        return torch.zeros(n, 3, 2, 4, 4), torch.zeros(n, dtype=torch.int64)

    class New:
        def get_batch(self, indices, window_rng=None):
            self.seen = window_rng
            return batch(len(indices))

    class Old:
        def get_batch(self, indices, generator=None):
            self.seen = generator
            return batch(len(indices))

    for dataset in (New(), Old()):
        rng = np.random.default_rng(0)
        BatchReader(dataset)([0, 1], rng)
        assert dataset.seen is rng, type(dataset).__name__
