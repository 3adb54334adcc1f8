"""Synthetic faces/actions: determinism, shapes, neutral first frame, class separability, splits."""
import numpy as np
import pytest
import torch

from imaginator_lite.labels import ACTIONS, EXPRESSIONS
from imaginator_lite.data.store import ClipDataset, split_identities
from imaginator_lite.data.synthetic import render_actions, render_faces
from imaginator_lite.data.synthetic_sets import make_synthetic_store, render_clips

RENDERERS = {"faces": render_faces, "actions": render_actions}


@pytest.mark.parametrize("kind", ["faces", "actions"])
def test_same_seed_same_bytes_different_seed_differs(kind):
    render = RENDERERS[kind]
    a = render([0, 1, 2], [0, 3, 5], image_size=32, frames=8, seed=7)
    b = render([0, 1, 2], [0, 3, 5], image_size=32, frames=8, seed=7)
    c = render([0, 1, 2], [0, 3, 5], image_size=32, frames=8, seed=8)
    assert a.tobytes() == b.tobytes()
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("kind", ["faces", "actions"])
@pytest.mark.parametrize("size,frames", [(32, 8), (32, 17), (64, 32), (64, 9)])
def test_shapes_and_dtype(kind, size, frames):
    video = RENDERERS[kind]([3, 4], [1, 2], image_size=size, frames=frames, seed=0)
    assert video.shape == (2, frames, size, size, 3)
    assert video.dtype == np.uint8
    assert video.std() > 5  # not blank


def test_size_128_and_names_equal_indices():
    by_name = render_faces([5], ["happiness"], image_size=128, frames=8)
    by_index = render_faces([5], [EXPRESSIONS.index("happiness")], image_size=128, frames=8)
    assert by_name.shape == (1, 8, 128, 128, 3)
    assert np.array_equal(by_name, by_index)
    assert np.array_equal(render_clips("actions", [1], ["run"], 32, 8), render_actions([1], [1], 32, 8))


def test_unknown_label_and_kind_raise():
    with pytest.raises(ValueError, match="unknown label"):
        render_faces([0], ["boredom"])
    with pytest.raises(ValueError, match="out of range"):
        render_actions([0], [6])
    with pytest.raises(ValueError, match="unknown synthetic kind"):
        render_clips("cars", [0], [0])


def test_face_frame0_is_neutral_and_expressions_move():
    video = render_faces([9] * 6, list(range(6)), image_size=64, frames=16, seed=1)
    for clip in video[1:]:
        assert np.array_equal(clip[0], video[0, 0])  # same identity -> identical neutral frame
    for clip in video:
        assert np.abs(clip[-1].astype(int) - clip[0].astype(int)).sum() > 0  # expression at apex differs
    apex = video[:, -1].astype(int)
    for i in range(6):
        for j in range(i + 1, 6):
            assert np.abs(apex[i] - apex[j]).sum() > 0, (EXPRESSIONS[i], EXPRESSIONS[j])


def _pool(x, k):
    n, h, w = x.shape[:3]
    return x.reshape(n, h // k, k, w // k, k).mean((2, 4))


def _unit(f):
    return f / (np.linalg.norm(f, axis=1, keepdims=True) + 1e-6)


def _face_features(video):
    """|last - first| grey difference, pooled to 16x16, unit norm."""
    diff = np.abs(video[:, -1].astype(np.float32) - video[:, 0].astype(np.float32)).mean(-1)
    return _unit(_pool(diff, video.shape[2] // 16).reshape(len(video), -1))


def _action_features(video):
    """Motion-energy image centred on its centroid, mirrored so the busier half is on the right."""
    grey = video.astype(np.float32).mean(-1)
    motion = np.abs(np.diff(grey, axis=1)).mean(1)
    width = motion.shape[2]
    canon = []
    for m in motion:
        cx = int(round((m.sum(0) * np.arange(width)).sum() / (m.sum() + 1e-6)))
        m = np.roll(m, width // 2 - cx, axis=1)
        canon.append(m[:, ::-1] if m[:, : width // 2].sum() > m[:, width // 2:].sum() else m)
    return _unit(_pool(np.stack(canon), video.shape[2] // 16).reshape(len(video), -1))


def _held_out_accuracy(features, labels, train_mask):
    """Multinomial logistic regression (LBFGS) trained on train_mask, accuracy on the rest."""
    torch.manual_seed(0)
    x = torch.tensor(features[train_mask])
    y = torch.tensor(labels[train_mask])
    weight = torch.zeros(x.shape[1], 6, requires_grad=True)
    bias = torch.zeros(6, requires_grad=True)
    opt = torch.optim.LBFGS([weight, bias], max_iter=200)

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(x @ weight * 20 + bias, y) + 1e-3 * (weight ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        pred = (torch.tensor(features[~train_mask]) @ weight * 20 + bias).argmax(1).numpy()
    return (pred == labels[~train_mask]).mean()


@pytest.mark.parametrize("kind,features", [("faces", _face_features), ("actions", _action_features)])
def test_classes_separable_on_held_out_identities(kind, features):
    torch.set_num_threads(1)
    identities = np.repeat(np.arange(36), 6)
    labels = np.tile(np.arange(6), 36)
    video = RENDERERS[kind](identities, labels, image_size=32, frames=24, seed=1)
    accuracy = _held_out_accuracy(features(video), labels, identities < 24)
    assert accuracy >= 0.8, f"{kind}: held-out accuracy {accuracy:.2f} (chance 0.17)"


def test_split_identities_disjoint_and_complete():
    splits = split_identities(20, (0.7, 0.15, 0.15), seed=3)
    all_ids = splits["train"] + splits["val"] + splits["test"]
    assert sorted(all_ids) == list(range(20))
    assert [len(splits[s]) for s in ("train", "val", "test")] == [14, 3, 3]
    assert split_identities(20, seed=3) == splits
    assert split_identities(20, seed=4) != splits
    small = split_identities(["b", "a", "c"], seed=0)
    assert all(len(v) == 1 for v in small.values())
    with pytest.raises(ValueError, match="fractions"):
        split_identities(5, (0.5, 0.5))


def test_synthetic_store_is_exact_ground_truth_and_identity_disjoint(tmp_path):
    root = make_synthetic_store(tmp_path / "faces", "faces", n_identities=7, image_size=32, frames=12,
                                seed=2, progress=False)
    seen = {}
    for split in ("train", "val", "test"):
        ds = ClipDataset(root, split, frames=12, random_window=False)
        seen[split] = set(ds.identities.tolist())
        assert sorted(np.bincount(ds.labels, minlength=6).tolist()) == [len(seen[split])] * 6
        for i in range(len(ds)):
            truth = render_faces([int(ds.identities[i])], [int(ds.labels[i])], 32, 12, seed=2)[0]
            assert np.array_equal(ds.clip(i), truth)
    assert not (seen["train"] & seen["val"]) and not (seen["train"] & seen["test"]) and not (seen["val"] & seen["test"])
    assert seen["train"] | seen["val"] | seen["test"] == set(range(7))
    actions = make_synthetic_store(tmp_path / "act", "actions", n_identities=3, image_size=32, frames=8,
                                   seed=0, clips_per_identity=8, progress=False)
    ds = ClipDataset(actions, "train", frames=8)
    assert ds.classes == list(ACTIONS) and len(ds) == 8 * len(set(ds.identities.tolist()))
