using RepLab.Torch;

namespace RepLab.Blocks;

/// <summary>The DCGAN paper's initialisation: convolution weights from N(0, 0.02), batch-norm scales from N(1, 0.02) and shifts 0 (Radford et al., 2016, section 4).</summary>
public static class DcganInit
{
    /// <summary>Re-initialises every convolution, transposed convolution and batch norm inside <paramref name="module"/>, from the global generator.</summary>
    public static void Apply(Module module)
    {
        using var ng = torch.no_grad();
        foreach (var (_, m) in module.named_modules())
            switch (m)
            {
                case nn.Conv2d c:
                    c.weight.normal_(0, 0.02);
                    c.bias?.zero_();
                    break;
                case nn.ConvTranspose2d t:
                    t.weight.normal_(0, 0.02);
                    t.bias?.zero_();
                    break;
                case nn.BatchNorm b when b.weight is not null:
                    b.weight.normal_(1, 0.02);
                    b.bias!.zero_();
                    break;
            }
    }
}
