"""Model core: shapes, parameter counts, the (1+2)D block, gradients, determinism, bad input."""
import pytest
import torch
from torch import nn

from imaginator_lite import (ImageDiscriminator, ModelConfig, TransposedConv1Plus2d, TransposedConv3d,
                             VideoDiscriminator, Generator, matched_width)
from imaginator_lite.models.blocks import make_up_block
from imaginator_lite.models.losses import discriminator_loss, generator_loss

PRESETS = ModelConfig.preset_names()


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def inputs(cfg, batch=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    image = torch.rand(batch, 3, cfg.image_size, cfg.image_size, generator=g) * 2 - 1
    z = torch.randn(batch, cfg.dim_z, generator=g)
    label = torch.arange(batch) % cfg.n_classes
    return image, z, label


@pytest.mark.parametrize("name", [n for n in PRESETS if n != "paper"])
def test_small_presets_shapes(name):
    cfg = ModelConfig.preset(name)
    G, VD, ID = Generator(cfg), VideoDiscriminator(cfg), ImageDiscriminator(cfg)
    image, z, label = inputs(cfg)
    video = G(image, z, label)
    assert video.shape == (2, 3, cfg.frames, cfg.image_size, cfg.image_size)
    assert video.abs().max() <= 1.0  # tanh output
    assert VD(video, label).shape == (2,)
    assert ID(video[:, :, 0]).shape == (2,)


def test_paper_preset_shapes_and_official_parameter_counts():
    cfg = ModelConfig.preset("paper")
    G, VD, ID = Generator(cfg), VideoDiscriminator(cfg), ImageDiscriminator(cfg)
    assert (n_params(G), n_params(VD), n_params(ID)) == (75_406_451, 11_088_833, 2_764_737)
    image, z, label = inputs(cfg, batch=1)
    with torch.no_grad():
        video = G.eval()(image, z, label)
        assert video.shape == (1, 3, 32, 64, 64)
        assert VD(video, label).shape == (1,)
        assert ID(video[:, :, 5]).shape == (1,)


def test_paper_decoder_schedule_matches_spec():
    specs = ModelConfig.preset("paper").up_blocks()
    assert [s.mid_channels for s in specs] == [4096, 3072, 1536, 768, 36]
    assert [s.in_channels for s in specs] == [618, 1030, 518, 262, 134]
    assert [(s.k_t, s.s_t, s.p_t, s.k_s, s.s_s, s.p_s) for s in specs] == [(2, 1, 0, 4, 1, 0)] + [(4, 2, 1, 4, 2, 1)] * 4


@pytest.mark.parametrize("frames,image_size", [(8, 32), (4, 32), (32, 32), (16, 64)])
def test_other_frame_counts_and_sizes(frames, image_size):
    cfg = ModelConfig.preset("tiny", frames=frames, image_size=image_size)
    G, VD = Generator(cfg), VideoDiscriminator(cfg)
    image, z, label = inputs(cfg)
    video = G(image, z, label)
    assert video.shape == (2, 3, frames, image_size, image_size)
    assert VD(video, label).shape == (2,)


def test_matched_width_example_from_spec():
    assert matched_width(262, 64, 4, 4) == 517
    full = 262 * 64 * 4 * 4 * 4
    factorised = 262 * 517 * 4 + 517 * 64 * 4 * 4
    assert (full, factorised) == (1_073_152, 1_071_224)


@pytest.mark.parametrize("name", PRESETS)
def test_matched_blocks_have_about_the_same_parameters(name):
    cfg = ModelConfig.preset(name, widths="matched")
    for spec in cfg.up_blocks():
        weights_12 = sum(m.weight.numel() for m in make_up_block(spec, "1+2d").modules()
                         if isinstance(m, nn.ConvTranspose3d))
        weights_3d = sum(m.weight.numel() for m in make_up_block(spec, "3d").modules()
                         if isinstance(m, nn.ConvTranspose3d))
        assert abs(weights_12 - weights_3d) / weights_3d < 0.05, spec
        # whole blocks (biases and BatchNorm too) stay within 5% as well
        p12, p3d = n_params(make_up_block(spec, "1+2d")), n_params(make_up_block(spec, "3d"))
        assert abs(p12 - p3d) / p3d < 0.05, (spec, p12, p3d)


def test_3d_ablation_generator_runs_and_is_parameter_matched():
    cfg = ModelConfig.preset("small")
    g12, g3d = Generator(cfg), Generator(cfg.replace(block="3d"))
    assert abs(n_params(g12) - n_params(g3d)) / n_params(g3d) < 0.05
    image, z, label = inputs(cfg)
    assert g3d(image, z, label).shape == (2, 3, 16, 32, 32)


def test_fusion_off_changes_decoder_inputs_and_still_runs():
    cfg = ModelConfig.preset("tiny", fusion=False)
    specs = cfg.up_blocks()
    assert [s.in_channels for s in specs[1:]] == [s.out_channels for s in specs[:-1]]
    image, z, label = inputs(cfg)
    assert Generator(cfg)(image, z, label).shape == (2, 3, 16, 32, 32)


def test_hand_built_1plus2d_block_matches_library():
    torch.manual_seed(0)
    temporal = nn.ConvTranspose3d(10, 12, (4, 1, 1), (2, 1, 1), (1, 0, 0))
    spatial = nn.ConvTranspose3d(12, 6, (1, 4, 4), (1, 2, 2), (0, 1, 1))
    bn1, bn2 = nn.BatchNorm3d(12), nn.BatchNorm3d(6)
    block = TransposedConv1Plus2d(10, 12, 6, k_t=4, s_t=2, p_t=1, k_s=4, s_s=2, p_s=1)
    block.conv[0].load_state_dict(temporal.state_dict())
    block.conv[3].load_state_dict(spatial.state_dict())
    x = torch.randn(2, 10, 3, 5, 5)
    expected = nn.functional.leaky_relu(bn2(spatial(nn.functional.leaky_relu(bn1(temporal(x)), 0.2))), 0.2)
    torch.testing.assert_close(block(x), expected)
    assert block(x).shape == (2, 6, 6, 10, 10)


def test_last_block_ends_in_tanh_without_batchnorm():
    spec = ModelConfig.preset("tiny").up_blocks()[-1]
    for kind in ("1+2d", "3d"):
        block = make_up_block(spec, kind)
        assert isinstance(block.conv[-1], nn.Tanh)
        assert not isinstance(block.conv[-2], nn.BatchNorm3d)


def test_3d_block_shapes_match_1plus2d():
    a = TransposedConv3d(8, 4, k_t=4, s_t=2, p_t=1, k_s=4, s_s=2, p_s=1)
    b = TransposedConv1Plus2d(8, 20, 4, k_t=4, s_t=2, p_t=1, k_s=4, s_s=2, p_s=1)
    x = torch.randn(1, 8, 2, 4, 4)
    assert a(x).shape == b(x).shape == (1, 4, 4, 8, 8)


def test_gradients_reach_every_parameter():
    cfg = ModelConfig.preset("tiny")
    G, VD, ID = Generator(cfg), VideoDiscriminator(cfg), ImageDiscriminator(cfg)
    image, z, label = inputs(cfg)
    real = torch.rand(2, 3, cfg.frames, cfg.image_size, cfg.image_size) * 2 - 1
    fake = G(image, z, label)
    g_total, parts = generator_loss(fake, real, VD(fake, label), ID(fake[:, :, 3]))
    d_total = discriminator_loss(VD(real, label), VD(fake.detach(), label)) + \
        discriminator_loss(ID(real[:, :, 0]), ID(fake[:, :, 3].detach()))
    (g_total + d_total).backward()
    for model in (G, VD, ID):
        for name, p in model.named_parameters():
            assert p.grad is not None and p.grad.abs().sum() > 0, f"{type(model).__name__}.{name} got no gradient"
    assert set(parts) == {"l1", "g_video", "g_image"}


def test_seeded_construction_and_forward_are_deterministic():
    cfg = ModelConfig.preset("tiny")
    outs = []
    for _ in range(2):
        torch.manual_seed(123)
        G = Generator(cfg)
        outs.append(G(*inputs(cfg, seed=7)))
    assert torch.equal(outs[0], outs[1])
    torch.manual_seed(124)
    assert not torch.equal(outs[0], Generator(cfg)(*inputs(cfg, seed=7)))


def test_onehot_and_index_labels_agree():
    cfg = ModelConfig.preset("tiny")
    G = Generator(cfg).eval()
    image, z, label = inputs(cfg)
    onehot = nn.functional.one_hot(label, cfg.n_classes).float()
    torch.testing.assert_close(G(image, z, label), G(image, z, onehot))


def test_label_changes_the_video():
    cfg = ModelConfig.preset("tiny")
    G = Generator(cfg).eval()
    image, z, _ = inputs(cfg)
    assert not torch.allclose(G(image, z, torch.tensor([0, 0])), G(image, z, torch.tensor([3, 3])))


def test_official_init_bug_switch_leaves_transposed_convs_at_default():
    ours = Generator(ModelConfig.preset("tiny")).dec.block2.conv[0].weight.detach()
    official = Generator(ModelConfig.preset("tiny", decoder_init="official")).dec.block2.conv[0].weight.detach()
    assert abs(ours.std().item() - 0.02) < 0.005  # N(0, 0.02), as the paper intends
    # PyTorch's default for ConvTranspose3d: uniform on [-b, b], b = 1/sqrt(fan_in)
    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(official)
    bound = 1 / fan_in ** 0.5
    assert official.abs().max() <= bound
    assert 0.45 < (official.abs() < bound / 2).float().mean().item() < 0.55  # flat, not bell-shaped


def test_hinge_and_bce_losses():
    real, fake = torch.tensor([3.0, 2.0]), torch.tensor([-3.0, -2.0])
    assert discriminator_loss(real, fake, "hinge").item() == 0.0
    assert discriminator_loss(real, fake, "bce").item() < 0.3
    with pytest.raises(ValueError, match="unknown adversarial loss"):
        discriminator_loss(real, fake, "wgan")


# ---------------------------------------------------------------- bad input
@pytest.fixture(scope="module")
def tiny():
    cfg = ModelConfig.preset("tiny")
    return cfg, Generator(cfg), VideoDiscriminator(cfg), ImageDiscriminator(cfg)


def test_wrong_image_size_raises(tiny):
    cfg, G, _, ID = tiny
    _, z, label = inputs(cfg)
    with pytest.raises(ValueError, match="expects 32x32"):
        G(torch.zeros(2, 3, 64, 64), z, label)
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        G(torch.zeros(2, 1, 32, 32), z, label)
    with pytest.raises(ValueError, match="expects 32x32"):
        ID(torch.zeros(2, 3, 16, 16))


def test_bad_labels_raise(tiny):
    cfg, G, VD, _ = tiny
    image, z, _ = inputs(cfg)
    with pytest.raises(ValueError, match="out of range"):
        G(image, z, torch.tensor([0, 6]))
    with pytest.raises(ValueError, match="out of range"):
        G(image, z, torch.tensor([-1, 0]))
    with pytest.raises(ValueError, match="one-hot label must have shape"):
        G(image, z, torch.zeros(2, 5))
    with pytest.raises(ValueError, match="entries but the batch has"):
        G(image, z, torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="label must be class indices"):
        G(image, z, torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="out of range"):
        VD(torch.zeros(2, 3, 16, 32, 32), torch.tensor([9, 0]))


def test_wrong_noise_raises(tiny):
    cfg, G, _, _ = tiny
    image, _, label = inputs(cfg)
    with pytest.raises(ValueError, match=r"z must have shape \(2, 16\)"):
        G(image, torch.zeros(2, 15), label)


def test_wrong_frame_count_for_discriminator_raises(tiny):
    cfg, _, VD, _ = tiny
    with pytest.raises(ValueError, match="has 8 frames but this discriminator expects 16"):
        VD(torch.zeros(2, 3, 8, 32, 32), torch.tensor([0, 1]))


def test_bad_config_values_raise():
    with pytest.raises(ValueError, match="unknown preset"):
        ModelConfig.preset("huge")
    with pytest.raises(ValueError, match="power of two"):
        ModelConfig.preset("tiny", image_size=48)
    with pytest.raises(ValueError, match="frames must be"):
        ModelConfig.preset("tiny", frames=12)
    with pytest.raises(ValueError, match="block must be"):
        ModelConfig.preset("tiny", block="2d")
    with pytest.raises(ValueError, match="class_names has"):
        ModelConfig(n_classes=3)


def test_preset_overrides_replace_and_the_defaults_agree():
    """preset(name, **x) == preset(name).replace(**x); ModelConfig() is the paper preset; the official
    middle widths belong to the official layout only, whichever way a variant is built."""
    for name in PRESETS:
        for change in ({"fusion": False}, {"block": "3d"}, {"n_classes": 3}, {"image_size": 32, "frames": 16}):
            assert ModelConfig.preset(name, **change) == ModelConfig.preset(name).replace(**change), (name, change)
            assert ModelConfig.preset(name, **change).up_blocks() == ModelConfig.preset(name).replace(**change).up_blocks()
    paper = ModelConfig.preset("paper")
    assert ModelConfig() == paper and ModelConfig().up_blocks() == paper.up_blocks()
    assert [s.mid_channels for s in paper.up_blocks()] == [4096, 3072, 1536, 768, 36]
    matched = [s.mid_channels for s in paper.replace(widths="matched").up_blocks()]
    assert matched != [4096, 3072, 1536, 768, 36]
    assert [s.mid_channels for s in paper.replace(fusion=False).up_blocks()] == \
        [s.mid_channels for s in paper.replace(fusion=False, widths="matched").up_blocks()]
    with pytest.raises(ValueError, match="widths"):
        ModelConfig(widths="official")


def test_config_round_trips_through_dict():
    cfg = ModelConfig.preset("small", block="3d", fusion=False)
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg


def test_class_names_override_sets_n_classes():
    cfg = ModelConfig.preset("tiny", class_names=("walk", "run", "jump"))
    assert cfg.n_classes == 3
    assert Generator(cfg)(*inputs(cfg)[:2], torch.tensor([2, 0])).shape[0] == 2
