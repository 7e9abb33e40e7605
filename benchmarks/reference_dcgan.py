"""A hand-written DCGAN training loop, the baseline ganbench's engine is measured against.

Modelled on pytorch/examples ``dcgan/main.py``: ``netG``/``netD`` built by hand,
``BCELoss`` on sigmoid outputs, real label 1 and fake label 0, the D step on the
real batch then on ``fake.detach()`` (two backward calls), the G step with
label 1, ``.item()`` on every step (the example prints them every step), and
Adam(lr 2e-4, betas (0.5, 0.999)). Nothing here imports ganbench.

The networks are layer-for-layer the ones ``plugins/vanilla`` builds
(``tests/engine/test_fastpaths.py`` compares parameter counts and shapes), with
one spelling difference kept from ganbench: D's last layer is a ``Linear`` on
the flattened block, which is the example's final valid 4x4 convolution written
as a matrix product (same parameters), followed by the example's ``Sigmoid``.

Deviations from the example, on purpose, so both loops do the same work:

* ``drop_last=True`` (ganbench never trains on a short batch);
* ``num_workers=0`` by default: the data are an in-memory tensor, and on a
  2-core machine the example's 2 worker processes, re-forked every epoch of 22
  batches, would compete with torch's own threads. This is meant as the
  charitable choice for the baseline (``num_workers`` can be set to check it).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

# side -> (side of the first feature map, number of stride-2 blocks); mirrors the DCGAN sizes.
PLAN = {16: (4, 2), 28: (7, 2), 32: (4, 3), 64: (4, 4)}


def weights_init(m: nn.Module) -> None:
    """pytorch/examples ``weights_init`` (plus the Linear head, which the example spells as a conv)."""
    classname = m.__class__.__name__
    if classname.find("Conv") != -1 or classname == "Linear":
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


class NetG(nn.Module):
    def __init__(self, nz: int, ngf: int, nc: int, side: int) -> None:
        super().__init__()
        self.nz = nz
        start, blocks = PLAN[side]
        ch = ngf * 2 ** (blocks - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(nz, ch, start, 1, 0, bias=False),
            nn.BatchNorm2d(ch),
            nn.ReLU(True),
        ]
        for _ in range(blocks - 1):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), nn.ReLU(True)]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z)


class NetD(nn.Module):
    def __init__(self, ndf: int, nc: int, side: int) -> None:
        super().__init__()
        start, blocks = PLAN[side]
        layers: list[nn.Module] = [nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
        ch = ndf
        for _ in range(blocks - 1):
            layers += [
                nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ch * 2),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            ch *= 2
        layers += [nn.Flatten(), nn.Linear(ch * start * start, 1), nn.Sigmoid()]
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(-1, 1).squeeze(1)


class ReferenceDCGAN:
    """The example's loop, resumable in chunks of steps so a benchmark can interleave it with ganbench."""

    def __init__(
        self,
        images: torch.Tensor,
        *,
        batch_size: int = 64,
        nz: int = 100,
        ngf: int = 64,
        ndf: int = 64,
        lr: float = 2e-4,
        beta1: float = 0.5,
        device: torch.device | str = "cpu",
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        torch.manual_seed(seed)
        self.device = torch.device(device)
        nc, side = images.shape[1], images.shape[-1]
        self.batch_size, self.nz = batch_size, nz
        self.netG = NetG(nz, ngf, nc, side).to(self.device)
        self.netG.apply(weights_init)
        self.netD = NetD(ndf, nc, side).to(self.device)
        self.netD.apply(weights_init)
        self.criterion = nn.BCELoss()
        self.real_label, self.fake_label = 1.0, 0.0
        self.optimizerD = torch.optim.Adam(self.netD.parameters(), lr=lr, betas=(beta1, 0.999))
        self.optimizerG = torch.optim.Adam(self.netG.parameters(), lr=lr, betas=(beta1, 0.999))
        self.dataloader = DataLoader(
            TensorDataset(images), batch_size=batch_size, shuffle=True, num_workers=num_workers, drop_last=True
        )
        self._batches = self._epochs()
        self.last: tuple[float, float, float, float, float] | None = None

    def _epochs(self) -> Iterator[list[torch.Tensor]]:
        while True:  # for epoch in range(opt.niter): for i, data in enumerate(dataloader, 0):
            yield from self.dataloader

    def run(self, steps: int) -> None:
        """``steps`` iterations of the example's inner loop body."""
        netD, netG, criterion, device = self.netD, self.netG, self.criterion, self.device
        for _ in range(steps):
            data = next(self._batches)
            ############################
            # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
            ###########################
            # train with real
            netD.zero_grad()
            real_cpu = data[0].to(device)
            batch_size = real_cpu.size(0)
            label = torch.full((batch_size,), self.real_label, dtype=real_cpu.dtype, device=device)
            output = netD(real_cpu)
            errD_real = criterion(output, label)
            errD_real.backward()
            D_x = output.mean().item()
            # train with fake
            noise = torch.randn(batch_size, self.nz, 1, 1, device=device)
            fake = netG(noise)
            label.fill_(self.fake_label)
            output = netD(fake.detach())
            errD_fake = criterion(output, label)
            errD_fake.backward()
            D_G_z1 = output.mean().item()
            errD = errD_real + errD_fake
            self.optimizerD.step()
            ############################
            # (2) Update G network: maximize log(D(G(z)))
            ###########################
            netG.zero_grad()
            label.fill_(self.real_label)  # fake labels are real for generator cost
            output = netD(fake)
            errG = criterion(output, label)
            errG.backward()
            D_G_z2 = output.mean().item()
            self.optimizerG.step()
            # the example prints these every step; reading them is the per-step host sync
            self.last = (errD.item(), errG.item(), D_x, D_G_z1, D_G_z2)
