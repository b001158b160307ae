using System.Text.Json.Serialization;

namespace RepLab.Tracking;

// MLflow REST API 2.0 messages (https://mlflow.org/docs/latest/rest-api.html), only the fields
// RepLab sends or reads. Source-generated so that serialization needs no reflection.

public sealed record MlflowKeyValue(string Key, string Value);

public sealed record MlflowMetric(string Key, double Value, long Timestamp, long Step);

public sealed class MlflowExperiment
{
    public string ExperimentId { get; init; } = "";
    public string Name { get; init; } = "";
    public string? ArtifactLocation { get; init; }
    public string? LifecycleStage { get; init; }
}

public sealed class MlflowRunInfo
{
    public string RunId { get; init; } = "";
    public string ExperimentId { get; init; } = "";
    public string? RunName { get; init; }
    public string? Status { get; init; }
    public long? StartTime { get; init; }
    public long? EndTime { get; init; }
    public string? ArtifactUri { get; init; }
    public string? LifecycleStage { get; init; }
}

public sealed class MlflowRunData
{
    public List<MlflowMetric>? Metrics { get; init; }
    public List<MlflowKeyValue>? Params { get; init; }
    public List<MlflowKeyValue>? Tags { get; init; }
}

/// <summary>MLflow's Dataset message: what log-inputs sends and runs/get returns.</summary>
public sealed record MlflowDataset(string Name, string Digest, string SourceType, string Source, string? Schema, string? Profile);

/// <summary>One dataset input of a run with its tags (the context in <c>mlflow.data.context</c>).</summary>
public sealed record MlflowDatasetInput(List<MlflowKeyValue>? Tags, MlflowDataset Dataset)
{
    /// <summary>The message of <paramref name="d"/>: its context as the one tag, none when it has none.</summary>
    public static MlflowDatasetInput Of(DatasetInput d) =>
        new(d.Context.Length == 0 ? [] : [new MlflowKeyValue(DatasetInput.ContextTag, d.Context)],
            new MlflowDataset(d.Name, d.Digest, d.SourceType, d.Source, d.Schema, d.Profile));
}

public sealed class MlflowRunInputs
{
    public List<MlflowDatasetInput>? DatasetInputs { get; init; }
}

public sealed class MlflowRun
{
    public MlflowRunInfo Info { get; init; } = new();
    public MlflowRunData? Data { get; init; }
    public MlflowRunInputs? Inputs { get; init; }
}

internal sealed record GetExperimentResponse(MlflowExperiment Experiment);
internal sealed record CreateExperimentRequest(string Name);
internal sealed record CreateExperimentResponse(string ExperimentId);
internal sealed record CreateRunRequest(string ExperimentId, string UserId, string RunName, long StartTime, List<MlflowKeyValue> Tags);
internal sealed record RunResponse(MlflowRun Run);
internal sealed record UpdateRunRequest(string RunId, string Status, long? EndTime);
internal sealed record UpdateRunResponse(MlflowRunInfo? RunInfo);
internal sealed record LogBatchRequest(string RunId, List<MlflowMetric> Metrics, List<MlflowKeyValue> Params, List<MlflowKeyValue> Tags);
internal sealed record SetTagRequest(string RunId, string Key, string Value);
internal sealed record LogInputsRequest(string RunId, List<MlflowDatasetInput> Datasets);
internal sealed record SearchRunsRequest(List<string> ExperimentIds, string? Filter, int MaxResults, string? PageToken);
internal sealed record SearchRunsResponse(List<MlflowRun>? Runs, string? NextPageToken);
internal sealed record MetricHistoryResponse(List<MlflowMetric>? Metrics, string? NextPageToken);
internal sealed record MlflowErrorBody(string? ErrorCode, string? Message);
internal sealed record EmptyResponse;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    // MLflow's protobuf JSON writes NaN and Infinity as strings; metric values may be either.
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals | JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(GetExperimentResponse))]
[JsonSerializable(typeof(CreateExperimentRequest))]
[JsonSerializable(typeof(CreateExperimentResponse))]
[JsonSerializable(typeof(CreateRunRequest))]
[JsonSerializable(typeof(RunResponse))]
[JsonSerializable(typeof(UpdateRunRequest))]
[JsonSerializable(typeof(UpdateRunResponse))]
[JsonSerializable(typeof(LogBatchRequest))]
[JsonSerializable(typeof(SetTagRequest))]
[JsonSerializable(typeof(LogInputsRequest))]
[JsonSerializable(typeof(SearchRunsRequest))]
[JsonSerializable(typeof(SearchRunsResponse))]
[JsonSerializable(typeof(MetricHistoryResponse))]
[JsonSerializable(typeof(MlflowErrorBody))]
[JsonSerializable(typeof(EmptyResponse))]
internal sealed partial class MlflowJsonContext : JsonSerializerContext;
