using RepLab.Torch;

namespace RepLab.Abstractions;

/// <summary>Shape of the images a dataset yields: channels, height, width.</summary>
public readonly record struct ImageShape(int Channels, int Height, int Width)
{
    /// <inheritdoc />
    public override string ToString() => $"{Channels}x{Height}x{Width}";
}

/// <summary>
/// Images held in memory as uint8 [N, C, H, W] with optional int64 labels [N]. A label of
/// <see cref="Unlabelled"/> (-1) marks an image whose class is unknown (a split without labels
/// concatenated with labelled ones). The set owns its tensors.
/// </summary>
public sealed class ImageSet(Tensor images, Tensor? labels, int classes, string name) : IDisposable
{
    /// <summary>The label of an image whose class is unknown.</summary>
    public const long Unlabelled = -1;

    /// <summary>uint8 [N, C, H, W].</summary>
    public Tensor Images { get; } = images.DetachFromDisposeScope();

    /// <summary>int64 [N] class indices (-1 where unknown), or null for unlabelled data.</summary>
    public Tensor? Labels { get; } = labels?.DetachFromDisposeScope();

    /// <summary>Number of classes (0 for unlabelled data).</summary>
    public int Classes { get; } = classes;

    /// <summary>Dataset and split, e.g. <c>fashion-mnist/test</c>.</summary>
    public string Name { get; } = name;

    /// <summary>
    /// The classes' names in index order, where the dataset knows them (image-folder's folder names,
    /// CIFAR's label files), else null (the default). Recorded with the run's datasets.
    /// </summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>Number of images.</summary>
    public long Count => Images.size(0);

    /// <summary>The per-image shape.</summary>
    public ImageShape Shape
    {
        get
        {
            var s = Images.shape;
            return new ImageShape((int)s[1], (int)s[2], (int)s[3]);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Images.Dispose();
        Labels?.Dispose();
    }
}

/// <summary>A dataset plugin: loads one split into memory. No downloads: a missing file is an error naming it.</summary>
public interface IDataset : IPlugin
{
    /// <summary>Splits this dataset offers, e.g. train, test, unlabeled.</summary>
    IReadOnlyList<string> Splits { get; }

    /// <summary>Loads <paramref name="split"/> as uint8 images (and labels where the split has them).</summary>
    ImageSet Load(string split);

    /// <summary>
    /// The shape of <paramref name="split"/>'s images when it is known without loading the split (from
    /// the options, a fixed format or a file header), else null (the default). Validation builds the
    /// method on it before any data loads; null makes that check use a nominal shape.
    /// </summary>
    ImageShape? ShapeOf(string split) => null;

    /// <summary>
    /// The files (or folders) <paramref name="split"/> is read from, for the run's record of its datasets
    /// (MLflow's dataset source, <c>local</c> with their path). Empty (the default) for data a plugin
    /// generates, which is recorded as made by code, with the plugin's name and the split.
    /// </summary>
    IReadOnlyList<string> SourceOf(string split) => [];
}
