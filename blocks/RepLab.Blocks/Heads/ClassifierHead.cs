using RepLab.Torch;

namespace RepLab.Blocks;

/// <summary>
/// The classifier of a classification pretext task on an encoder's features: RotNet's rotation classifier
/// (Gidaris, Singh &amp; Komodakis, "Unsupervised Representation Learning by Predicting Image Rotations",
/// ICLR 2018) and the jigsaw puzzle's permutation classifier (Noroozi &amp; Favaro, "Unsupervised Learning of
/// Visual Representations by Solving Jigsaw Puzzles", ECCV 2016: fully connected layers with dropout).
/// </summary>
public static class ClassifierHead
{
    /// <summary>
    /// A classifier from <paramref name="input"/> features to <paramref name="classes"/> logits: linear when
    /// <paramref name="hidden"/> is 0, else linear, batch norm, ReLU, dropout and linear. State keys are the
    /// layers' positions (<c>0.</c>, <c>1.</c>, ...).
    /// </summary>
    /// <param name="input">The input features (the encoder's, or the concatenated tiles' for the jigsaw).</param>
    /// <param name="hidden">Width of the hidden layer; 0 for a linear classifier.</param>
    /// <param name="classes">The pretext classes (RotNet's 4 rotations; the jigsaw's permutations, the paper's 1000).</param>
    /// <param name="dropout">Dropout before the last layer; 0 for none.</param>
    /// <returns>The classifier, initialised from the global generator.</returns>
    public static nn.Sequential Create(long input, long hidden, long classes, double dropout = 0)
    {
        var layers = new List<Module>();
        if (hidden > 0)
        {
            layers.AddRange([new nn.Linear(input, hidden), new nn.BatchNorm1d(hidden), new nn.ReLU()]);
            input = hidden;
        }
        if (dropout > 0) layers.Add(new nn.Dropout(dropout));
        layers.Add(new nn.Linear(input, classes));
        return new nn.Sequential([.. layers]);
    }
}
