"""An independent re-statement of the official ImaGINator networks (MUG config), for equivalence tests.

Written from the paper/SPEC description and the official key layout, with the OLD
`torch.nn.utils.spectral_norm` (weight_orig/_u/_v) that the official checkpoints use.
Everything is spelled out literally, so a layout or fusion-order slip in the library shows up here.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import spectral_norm as old_spectral_norm


def lrelu():
    return nn.LeakyReLU(0.2)


class RefEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.b1 = nn.Sequential(nn.Conv2d(3, 64, 4, 2, 1), nn.BatchNorm2d(64), lrelu())
        self.b2 = nn.Sequential(nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), lrelu())
        self.b3 = nn.Sequential(nn.Conv2d(128, 256, 4, 2, 1), nn.BatchNorm2d(256), lrelu())
        self.b4 = nn.Sequential(nn.Conv2d(256, 512, 4, 2, 1), nn.BatchNorm2d(512), lrelu())
        self.b5 = nn.Sequential(nn.Conv2d(512, 100, 4, 1, 0))

    def forward(self, x):
        h1 = self.b1(x)
        h2 = self.b2(h1)
        h3 = self.b3(h2)
        h4 = self.b4(h3)
        return self.b5(h4), h4, h3, h2, h1


class RefBlock(nn.Module):
    def __init__(self, cin, cmid, cout, kt, st, pt, ks, ss, ps, rgb=False):
        super().__init__()
        tail = [nn.Tanh()] if rgb else [nn.BatchNorm3d(cout), lrelu()]
        self.conv = nn.Sequential(
            nn.ConvTranspose3d(cin, cmid, (kt, 1, 1), (st, 1, 1), (pt, 0, 0)), nn.BatchNorm3d(cmid), lrelu(),
            nn.ConvTranspose3d(cmid, cout, (1, ks, ks), (1, ss, ss), (0, ps, ps)), *tail)


class RefDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.block1 = RefBlock(618, 4096, 512, 2, 1, 0, 4, 1, 0)
        self.block2 = RefBlock(1030, 3072, 256, 4, 2, 1, 4, 2, 1)
        self.block3 = RefBlock(518, 1536, 128, 4, 2, 1, 4, 2, 1)
        self.block4 = RefBlock(262, 768, 64, 4, 2, 1, 4, 2, 1)
        self.to_rgb = RefBlock(134, 36, 3, 4, 2, 1, 4, 2, 1, rgb=True)


class RefGenerator(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = RefEncoder()
        self.dec = RefDecoder()

    def forward(self, image, z, onehot):
        p, h4, h3, h2, h1 = self.enc(image)
        h = torch.cat([z, onehot, p.flatten(1)], 1).view(z.shape[0], -1, 1, 1, 1)
        for block, skip in ((self.dec.block1, h4), (self.dec.block2, h3), (self.dec.block3, h2),
                            (self.dec.block4, h1)):
            h = block.conv(h)
            t = h.shape[2]
            a = skip.unsqueeze(2).expand(-1, -1, t, -1, -1)
            m = onehot.view(*onehot.shape, 1, 1, 1).expand(-1, -1, t, h.shape[3], h.shape[4])
            h = torch.cat([h, a, m], 1)
        return self.dec.to_rgb.conv(h)


class RefVideoDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        sn = old_spectral_norm
        self.net1 = nn.Sequential(sn(nn.Conv3d(3, 64, 4, 2, 1)), lrelu())
        self.net2 = nn.Sequential(
            sn(nn.Conv3d(70, 128, 4, 2, 1)), lrelu(), sn(nn.Conv3d(128, 256, 4, 2, 1)), lrelu(),
            sn(nn.Conv3d(256, 512, 4, 2, 1)), lrelu(), sn(nn.Conv3d(512, 1, (2, 4, 4), 1, 0)))

    def forward(self, video, onehot):
        h = self.net1(video)
        m = onehot.view(*onehot.shape, 1, 1, 1).expand(-1, -1, *h.shape[2:])
        return self.net2(torch.cat([h, m], 1)).view(-1)


class RefImageDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        sn = old_spectral_norm
        self.net = nn.Sequential(
            sn(nn.Conv2d(3, 64, 4, 2, 1)), lrelu(), sn(nn.Conv2d(64, 128, 4, 2, 1)), lrelu(),
            sn(nn.Conv2d(128, 256, 4, 2, 1)), lrelu(), sn(nn.Conv2d(256, 512, 4, 2, 1)), lrelu(),
            sn(nn.Conv2d(512, 1, 4, 1, 0)))

    def forward(self, frame):
        return self.net(frame).view(-1)


def randomise_(model: nn.Module, seed: int) -> nn.Module:
    """Give every parameter and BN buffer non-trivial random values (so a swapped key shows)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.dtype == torch.int64:
                continue
            if name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=g) + 0.5)
            elif name.endswith(("weight_u", "weight_v")):
                t.copy_(torch.nn.functional.normalize(torch.randn(t.shape, generator=g), dim=0))
            else:
                t.copy_(torch.randn(t.shape, generator=g) * 0.05)
    return model
