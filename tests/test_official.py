"""Official checkpoints: key layout, DataParallel prefixes, old spectral-norm names, equal outputs."""
import pytest
import torch

from imaginator_lite import ModelConfig, load_official, save_official
from imaginator_lite.labels import EXPRESSIONS, resolve_label
from imaginator_lite.models.official import library_to_official
from official_reference import (RefGenerator, RefImageDiscriminator, RefVideoDiscriminator, randomise_)



def official_layout():
    """The official key layout (a copy of shared/reference/official_state_dict_layout.txt)."""
    from pathlib import Path

    path = Path(__file__).parent / "data" / "official_state_dict_layout.txt"
    sections, current = {}, None
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line.split()[1], {})
        elif current is not None and "\t" in line:
            key, shape, _ = line.split("\t")
            current[key] = shape
    return sections


def save_dataparallel(model, path):
    torch.save({"module." + k: v for k, v in model.state_dict().items()}, path)


@pytest.fixture(scope="module")
def paper():
    return ModelConfig.preset("paper")


def test_reference_layout_equals_shared_layout_file():
    layout = official_layout()
    for section, model in (("Generator", RefGenerator()), ("VideoDiscriminator", RefVideoDiscriminator()),
                           ("ImageDiscriminator", RefImageDiscriminator())):
        ours = {k: str(tuple(v.shape)) for k, v in model.state_dict().items()}
        assert ours == layout[section], section


def test_library_state_dict_maps_onto_official_layout(paper):
    from imaginator_lite import Generator, ImageDiscriminator, VideoDiscriminator

    layout = official_layout()
    for section, cls in (("Generator", Generator), ("VideoDiscriminator", VideoDiscriminator),
                         ("ImageDiscriminator", ImageDiscriminator)):
        sd = library_to_official(cls(paper).state_dict(), data_parallel=False)
        assert {k: str(tuple(v.shape)) for k, v in sd.items()} == layout[section], section


def test_official_generator_loads_and_gives_same_outputs(tmp_path, paper):
    ref = randomise_(RefGenerator(), seed=1).eval()
    path = tmp_path / "G_mug.pth"
    save_dataparallel(ref, path)
    G = load_official(path, "generator")
    assert not G.training
    g = torch.Generator().manual_seed(0)
    image = torch.rand(2, 3, 64, 64, generator=g) * 2 - 1
    z = torch.randn(2, 512, generator=g)
    label = torch.tensor([resolve_label("happiness", EXPRESSIONS), resolve_label("sadness", EXPRESSIONS)])
    assert label.tolist() == [4, 0]  # the official one-hot order
    onehot = torch.nn.functional.one_hot(label, 6).float()
    with torch.no_grad():
        expected = ref(image, z, onehot)
        got = G(image, z, label)
    assert (got - expected).abs().max().item() < 1e-4


def test_official_discriminators_load_and_give_same_outputs(tmp_path, paper):
    vd_ref = randomise_(RefVideoDiscriminator(), seed=2).eval()
    id_ref = randomise_(RefImageDiscriminator(), seed=3).eval()
    save_dataparallel(vd_ref, tmp_path / "VD.pth")
    save_dataparallel(id_ref, tmp_path / "ID.pth")
    VD = load_official(tmp_path / "VD.pth", "video_discriminator")
    ID = load_official(tmp_path / "ID.pth", "image_discriminator")
    g = torch.Generator().manual_seed(1)
    video = torch.rand(2, 3, 32, 64, 64, generator=g) * 2 - 1
    label = torch.tensor([1, 5])
    with torch.no_grad():
        vd_expected = vd_ref(video, torch.nn.functional.one_hot(label, 6).float())
        id_expected = id_ref(video[:, :, 0])
        assert (VD(video, label) - vd_expected).abs().max().item() < 1e-4
        assert (ID(video[:, :, 0]) - id_expected).abs().max().item() < 1e-4


def test_round_trip_through_official_format(tmp_path):
    from imaginator_lite import ImageDiscriminator

    cfg = ModelConfig.preset("paper")
    torch.manual_seed(0)
    original = ImageDiscriminator(cfg).eval()
    save_official(original, tmp_path / "ID.pth")
    keys = torch.load(tmp_path / "ID.pth", weights_only=True).keys()
    assert all(k.startswith("module.") for k in keys) and "module.net.0.weight_orig" in keys
    loaded = load_official(tmp_path / "ID.pth", "image_discriminator")
    frame = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(loaded(frame), original(frame))
    for (k1, v1), (k2, v2) in zip(original.state_dict().items(), loaded.state_dict().items()):
        assert k1 == k2 and torch.equal(v1, v2)


def test_file_without_dataparallel_prefix_also_loads(tmp_path):
    ref = randomise_(RefImageDiscriminator(), seed=4).eval()
    torch.save(ref.state_dict(), tmp_path / "ID.pth")
    ID = load_official(tmp_path / "ID.pth", "image_discriminator")
    frame = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert (ID(frame) - ref(frame)).abs().max() < 1e-4


def test_mismatched_file_names_missing_and_unexpected_keys(tmp_path):
    sd = {"module." + k: v for k, v in RefImageDiscriminator().state_dict().items()}
    sd.pop("module.net.8.bias")
    sd["module.net.9.weight"] = torch.zeros(1)
    torch.save(sd, tmp_path / "bad.pth")
    with pytest.raises(ValueError) as err:
        load_official(tmp_path / "bad.pth", "image_discriminator")
    msg = str(err.value)
    assert "missing keys (1): net.8.bias" in msg
    assert "unexpected keys (1): net.9.weight" in msg


def test_wrong_component_reports_key_mismatch(tmp_path):
    save_dataparallel(RefImageDiscriminator(), tmp_path / "ID.pth")
    with pytest.raises(ValueError, match="missing keys"):
        load_official(tmp_path / "ID.pth", "video_discriminator")


def test_missing_corrupt_and_unknown_component(tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        load_official(tmp_path / "nope.pth")
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="could not read"):
        load_official(tmp_path / "junk.pth")
    with pytest.raises(ValueError, match="unknown component"):
        load_official(tmp_path / "junk.pth", "encoder")
