namespace RepLab.Tracking;

/// <summary>
/// One dataset a run used, as MLflow's <c>runs/log-inputs</c> takes it (its <c>Dataset</c> message and
/// the <c>mlflow.data.context</c> input tag). MLflow keeps a dataset once per run by name and digest,
/// with the context it was first logged with; so do our records (see <see cref="Identity"/>).
/// </summary>
/// <param name="Name">The dataset and split, e.g. <c>idx/train</c> (MLflow: at most 500 characters).</param>
/// <param name="Digest">Hex of a hash of the content (<see cref="DatasetDescriber.Digest"/>; MLflow: at most 36 characters).</param>
/// <param name="SourceType"><c>local</c> for files, <c>code</c> for data a plugin generates (MLflow's source types).</param>
/// <param name="Source">The source as JSON: <c>{"uri": ...}</c> for files, <c>{"tags": {...}}</c> for code.</param>
/// <param name="Schema">The schema as JSON (MLflow's <c>mlflow_tensorspec</c> and RepLab's classes), or null.</param>
/// <param name="Profile">The profile as JSON (shapes, sizes and counts), or null.</param>
/// <param name="Context">What the run used it for: <see cref="Training"/> or <see cref="Evaluation"/> (empty: no tag).</param>
public sealed record DatasetInput(string Name, string Digest, string SourceType, string Source, string? Schema, string? Profile, string Context)
{
    /// <summary>The context of a set the method trains on.</summary>
    public const string Training = "training";

    /// <summary>The context of a labelled set the evaluators fit or score on.</summary>
    public const string Evaluation = "evaluation";

    /// <summary>MLflow's limits of a dataset's name, and of its source and schema (a database TEXT column).</summary>
    public const int MaxNameLength = 500, MaxSourceLength = 65535, MaxSchemaLength = 65535;

    /// <summary>The input tag MLflow keeps the context in.</summary>
    public const string ContextTag = "mlflow.data.context";

    /// <summary>What makes a dataset the same one for MLflow: its name and digest.</summary>
    public (string Name, string Digest) Identity => (Name, Digest);
}
