"""The generative and reconstruction methods' steps (see method_steps.py), in PyTorch eager with the
plugins' architectures, losses, optimizers and batch (bench/RepLab.Bench/GenerativeSteps.cs runs the
plugins themselves with their shipped experiments' options). Each make(batch) seeds, creates the
modules in the plugin's order and draws what the plugin draws at build time (so the seeded weights,
and the first loss, match ours), then draws the fixed batch: images in [0, 1]."""
import itertools

import torch
import torch.nn as nn
import torch.nn.functional as F

from engine_pytorch import conv_small

BATCH = 128  # every shipped experiment's batch


def mirrored_decoder(features):
    # The autoencoder plugin's MirroredDecoder for 28x28: linear to 128x4x4, then transposed convs
    # 128-64-32-1 (4 -> 7 -> 14 -> 28) with batch norm and ReLU between; returns logits.
    return nn.Sequential(
        nn.Linear(features, 128 * 4 * 4), nn.Unflatten(1, (128, 4, 4)), nn.ReLU(),
        nn.ConvTranspose2d(128, 64, 3, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.ConvTranspose2d(32, 1, 4, 2, 1))


def adam(*modules, lr=1e-3, betas=(0.9, 0.999)):
    return torch.optim.Adam([p for m in modules for p in m.parameters()], lr=lr, betas=betas)


def minimize(opt, loss):
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss.item()


def images(batch):
    return torch.rand(batch, 1, 28, 28)


def reconstruction(loss):
    """A step of conv-small (128 features) and the mirrored decoder under Adam 1e-3, minimising
    loss(net, x) on a fixed batch x (the autoencoder, the denoising autoencoder, inpainting)."""
    def make(batch):
        torch.manual_seed(0)
        net = nn.Sequential(conv_small(128), mirrored_decoder(128))
        opt = adam(net)
        x = images(batch)
        return lambda: minimize(opt, loss(net, x))
    return BATCH, make


def autoencoder_loss(net, x):
    # quickstart.yaml: MSE of the sigmoid output against the image.
    return F.mse_loss(torch.sigmoid(net(x)), x)


def denoising_loss(net, x, fraction=0.25):
    # Masking noise: exactly round(fraction x 784) pixels of each image zeroed, the top-k of uniform
    # scores (drawn as the plugin draws them, so the masks match); BCE against the clean image.
    n, d = x.shape[0], x[0].numel()
    chosen = torch.rand(n, d).topk(round(fraction * d), dim=1).indices
    keep = torch.ones(n, d).scatter_(1, chosen, 0.0).view_as(x)
    return F.binary_cross_entropy_with_logits(net(x * keep), x)


def inpainting_loss(net, x, side=14, fill=0.5):
    # Context encoder, central region: the 14x14 centre filled with 0.5, the whole image painted
    # back, and the MSE over the hole only (the plugin's masked sum over the hole's size).
    top = (x.shape[-1] - side) // 2
    hole = (..., slice(top, top + side), slice(top, top + side))
    masked = x.clone()
    masked[hole] = fill
    return F.mse_loss(torch.sigmoid(net(masked))[hole], x[hole])


def vae(batch, latent=128, warmup_steps=1874):
    # vae.yaml: conv-small's features give the posterior mean and log-variance (two linear heads),
    # z by reparameterisation, Bernoulli likelihood (BCE summed over pixels), KL to N(0, I) weighted
    # up linearly over the warm-up steps. Returns the negative ELBO (recon + KL), as ours does.
    torch.manual_seed(0)
    encoder, mean, log_var = conv_small(128), nn.Linear(128, latent), nn.Linear(128, latent)
    decoder = mirrored_decoder(latent)
    opt = adam(encoder, mean, log_var, decoder)
    torch.randn(16, latent)  # the plugin's fixed sample-grid noise, drawn at build
    x = images(batch)
    steps = itertools.count()

    def step():
        h = encoder(x)
        mu, lv = mean(h), log_var(h)
        z = mu + torch.randn_like(mu) * (0.5 * lv).exp()
        recon = F.binary_cross_entropy_with_logits(decoder(z), x, reduction="none").flatten(1).sum(1).mean()
        kl = 0.5 * (lv.exp() + mu.pow(2) - lv - 1).sum(1).mean()
        minimize(opt, recon + kl * min(1.0, next(steps) / warmup_steps))
        return (recon + kl).item()

    return step


def dcgan_init(module):
    # The DCGAN paper's initialisation: conv weights N(0, 0.02), batch-norm scales N(1, 0.02), zero shifts.
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def gan(classes):
    """dcgan.yaml (classes 0) and acgan.yaml (10): the dcgan-discriminator encoder for 28x28 (4x4
    stride-2 convs without bias, 28 -> 14 -> 7 -> 3, 64-128-256 channels, batch norm after all but
    the first, LeakyReLU 0.2) with a 3x3 logit conv (and a 3x3 class conv) over its last map; the
    generator: noise (and one-hot class) to 7x7, then 14 and 28, tanh mapped to [0, 1]. One
    discriminator update on real and generated images, then one generator update; Adam 2e-4, beta1 0.5.
    Returns the discriminator's loss."""
    def make(batch):
        torch.manual_seed(0)
        disc = nn.Sequential(
            nn.Conv2d(1, 64, 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
            nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
            nn.Conv2d(128, 256, 4, 2, 1, bias=False), nn.BatchNorm2d(256), nn.LeakyReLU(0.2))
        dcgan_init(disc)
        logit = nn.Conv2d(256, 1, 3, bias=False)
        gen = nn.Sequential(
            nn.ConvTranspose2d(100 + classes, 128, 7, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
            nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            nn.ConvTranspose2d(64, 1, 4, 2, 1, bias=False), nn.Tanh())
        dcgan_init(logit)
        dcgan_init(gen)
        heads = [logit]
        if classes:
            heads.append(nn.Conv2d(256, classes, 3))
            dcgan_init(heads[1])
        opt_d = adam(disc, *heads, lr=2e-4, betas=(0.5, 0.999))
        opt_g = adam(gen, lr=2e-4, betas=(0.5, 0.999))
        torch.randn(64, 100, 1, 1)  # the plugin's fixed sample-grid noise, drawn at build
        real = images(batch)
        # acgan.yaml's train-label-fraction 0.1: one image in ten keeps its (random) class, the rest -1.
        labels = torch.randint(0, classes, (batch,)).masked_fill(torch.arange(batch) % 10 != 0, -1) if classes else None

        def sample():
            z = torch.randn(batch, 100, 1, 1)
            if not classes:
                return z, None
            c = torch.randint(0, classes, (batch,))
            return torch.cat([z, F.one_hot(c, classes).to(z.dtype)[..., None, None]], 1), c

        def discriminate(images):
            h = disc(images)
            return [head(h).flatten(1) for head in heads]

        def loss(outputs, real_fake, c):
            source = outputs[0].flatten()
            total = F.binary_cross_entropy_with_logits(source, torch.full_like(source, real_fake))
            # The class loss; -1 (held-out labels) is ignored.
            return (total + F.cross_entropy(outputs[1], c, ignore_index=-1)) if classes else total

        def step():
            zc, c = sample()
            with torch.no_grad():
                fake = (gen(zc) + 1) * 0.5
            loss_d = minimize(opt_d, loss(discriminate(real), 1.0, labels) + loss(discriminate(fake), 0.0, c))
            zc, c = sample()
            loss_g = loss(discriminate((gen(zc) + 1) * 0.5), 1.0, c)
            opt_d.zero_grad(set_to_none=True)  # the generator's backward leaves the discriminator's gradients fresh
            minimize(opt_g, loss_g)
            return loss_d

        return step

    return BATCH, make


def layerwise(batch):
    # layerwise-autoencoder.yaml's end-to-end (fine-tune) epoch, the costliest of its five equal
    # phases: conv-small's four stages, then each stage's decoder in reverse (a 3x3 transposed conv
    # per conv stage, a linear map for the head; nothing between them), MSE against the image.
    torch.manual_seed(0)
    encoder = conv_small(128)
    decoders = nn.ModuleList([
        nn.ConvTranspose2d(32, 1, 3, 2, 1, output_padding=1), nn.ConvTranspose2d(64, 32, 3, 2, 1, output_padding=1),
        nn.ConvTranspose2d(128, 64, 3, 2, 1), nn.Sequential(nn.Flatten(), nn.Linear(128, 128 * 4 * 4), nn.Unflatten(1, (128, 4, 4)))])
    opt = adam(encoder, decoders)
    x = images(batch)

    def step():
        h = encoder(x)
        for decoder in reversed(decoders):
            h = decoder(h)
        return minimize(opt, F.mse_loss(h, x))

    return step


STEPS = {
    "autoencoder": reconstruction(autoencoder_loss),
    "denoising-autoencoder": reconstruction(denoising_loss),
    "vae": (BATCH, vae),
    "dcgan": gan(0),
    "acgan": gan(10),
    "layerwise-autoencoder": (BATCH, layerwise),
    "inpainting": reconstruction(inpainting_loss),
}
