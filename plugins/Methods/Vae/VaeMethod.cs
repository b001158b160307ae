using System.ComponentModel.DataAnnotations;
using RepLab.Abstractions;
using RepLab.Plugins.Methods.Autoencoder;
using RepLab.Torch;

namespace RepLab.Plugins.Methods.Vae;

/// <summary>The VAE's observation model p(x | z).</summary>
public enum Likelihood
{
    /// <summary>Independent Bernoulli pixels: binary cross-entropy of the decoder's logits, summed over pixels.</summary>
    Bernoulli,

    /// <summary>Independent Gaussian pixels of fixed variance sigma^2: squared error / (2 sigma^2), summed over pixels.</summary>
    Gaussian,
}

/// <summary>Options of the <c>vae</c> method.</summary>
public sealed record VaeOptions : PluginOptions
{
    /// <summary>Dimensions of the latent z.</summary>
    [Range(1, 4096)]
    public int Latent { get; init; } = 32;

    /// <summary>Observation model: bernoulli or gaussian.</summary>
    public Likelihood Likelihood { get; init; } = Likelihood.Bernoulli;

    /// <summary>Pixel standard deviation of the gaussian likelihood.</summary>
    [Range(1e-4, 10.0)]
    public double Sigma { get; init; } = 0.1;

    /// <summary>Weight of the KL term (1: the VAE; above 1: beta-VAE, Higgins et al., ICLR 2017).</summary>
    [Range(0.0, 1000.0)]
    public double Beta { get; init; } = 1.0;

    /// <summary>Steps over which the KL weight rises linearly from 0 to beta (0: no warm-up; Bowman et al., 2016).</summary>
    [Range(0, long.MaxValue)]
    public long KlWarmupSteps { get; init; }

    /// <summary>Adam learning rate when the experiment names no optimizer.</summary>
    [Range(1e-8, 10.0)]
    public double Lr { get; init; } = 1e-3;
}

/// <summary>
/// The variational autoencoder (Kingma &amp; Welling, "Auto-Encoding Variational Bayes", ICLR 2014):
/// the encoder's features give a diagonal Gaussian posterior q(z | x) (two linear heads: mean and
/// log-variance), z is drawn with the reparameterisation trick, and the mirrored decoder gives
/// p(x | z). The loss per image is the negative ELBO, reconstruction plus beta x KL(q || N(0, I)),
/// each logged on its own. The representation is the posterior mean.
/// </summary>
[Plugin("vae", Summary = "variational autoencoder (beta, KL warm-up); representation: the posterior mean", Citation = "Kingma & Welling, ICLR 2014")]
public sealed class VaeMethod(VaeOptions options) : MethodBase, ISampleGrids
{
    private LinearHeadEncoder? mean;  // the posterior mean: encoder, then the mean head
    private nn.Linear? logVariance;
    private MirroredDecoder? decoder;
    private Tensor? fixedNoise;

    public override MethodNeeds Needs => OneGroup(new(OptimizerKind.Adam, options.Lr));

    public override EncoderModule Representation => mean!;

    protected override void Build()
    {
        mean = Add("posterior-mean", new LinearHeadEncoder(Encoder, options.Latent));
        logVariance = Add("posterior-log-variance", new nn.Linear(Encoder.Features, options.Latent));
        decoder = Add("decoder", new MirroredDecoder(options.Latent, Setup.Input));
        Optimize("all", mean, logVariance, decoder);
        // Fixed noise for the sample grid, drawn once from the run's seed.
        fixedNoise = torch.randn([16, options.Latent], device: Setup.Device).DetachFromDisposeScope();
    }

    /// <summary>KL(N(mu, exp(logvar)) || N(0, I)) per image, summed over latent dimensions: -1/2 sum(1 + logvar - mu^2 - exp(logvar)).</summary>
    public static Tensor Kl(Tensor mu, Tensor logvar) => (logvar.exp() + mu.pow(2) - logvar - 1).sum([1]) * 0.5;

    /// <summary>-log p(x | logits) per image, summed over pixels, for the likelihood.</summary>
    public static Tensor NegativeLogLikelihood(Tensor logits, Tensor x, Likelihood likelihood, double sigma) => likelihood == Likelihood.Bernoulli
        ? F.binary_cross_entropy_with_logits(logits, x, reduction: Reduction.None).flatten(1).sum([1])
        : (logits.sigmoid() - x).pow(2).flatten(1).sum([1]) / (2 * sigma * sigma);

    /// <summary>The KL weight at <paramref name="step"/>: beta, reached linearly over the warm-up.</summary>
    public double KlWeight(long step) => options.KlWarmupSteps == 0 ? options.Beta : options.Beta * Math.Min(1.0, (double)step / options.KlWarmupSteps);

    /// <summary>
    /// A draw z = mu + exp(logvar / 2) eps of each image's posterior, eps standard normal per sample from the
    /// global generator (through <see cref="SampleDraws"/>, so an image's eps follows its place in the global batch).
    /// </summary>
    public static Tensor Reparameterize(Tensor mu, Tensor logvar) => mu + SampleDraws.Randn(mu.shape, mu.device) * (logvar * 0.5).exp();

    public override void Step(TrainBatch batch, IRunContext context)
    {
        var x = batch.Original;
        var h = Encoder.forward(x);
        var mu = mean!.Head(h);
        var logvar = logVariance!.forward(h);
        var z = Reparameterize(mu, logvar);
        var recon = NegativeLogLikelihood(decoder!.forward(z), x, options.Likelihood, options.Sigma).mean();
        var kl = Kl(mu, logvar).mean();
        var weight = KlWeight(context.GlobalStep);
        var loss = recon + kl * weight;
        Minimize(Optimizers["all"], loss);
        context.LogLoss("loss/recon", recon);
        context.LogLoss("loss/kl", kl);
        context.LogLoss("loss/elbo", recon + kl);
        context.Log("vae/kl-weight", weight);
    }

    public int SampleInputs => 8;

    /// <summary>Inputs above their reconstructions from the posterior mean; samples decoded from fixed noise; interpolations between the posterior means of input pairs.</summary>
    public IReadOnlyList<SampleGrid> Grids(Tensor inputs)
    {
        var mu = mean!.forward(inputs);
        var recon = decoder!.forward(mu).sigmoid();
        var samples = decoder.forward(fixedNoise!).sigmoid();
        var pairs = inputs.size(0) / 2;
        var steps = torch.linspace(0, 1, 8, device: inputs.device).view(1, 8, 1);
        var a = mu.slice(0, 0, pairs).unsqueeze(1);
        var b = mu.slice(0, pairs, 2 * pairs).unsqueeze(1);
        var path = (a + (b - a) * steps).flatten(0, 1);
        return
        [
            new SampleGrid("reconstructions", torch.cat([inputs, recon]), (int)inputs.size(0)),
            new SampleGrid("samples", samples, 8),
            new SampleGrid("interpolations", decoder.forward(path).sigmoid(), 8),
        ];
    }
}
