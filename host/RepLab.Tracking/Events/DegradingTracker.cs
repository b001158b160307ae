
namespace RepLab.Tracking;

/// <summary>
/// Keeps a run going when its MLflow store cannot be written (a full disk, a store on a lost
/// mount, a read-only folder): the first failure is reported once, naming the store and the cause,
/// and the store receives nothing more until the run ends, when writing its end status is tried
/// once more (space may have come back). Training, checkpoints and <c>metrics.jsonl</c> in the run
/// folder go on; a store run left RUNNING is marked FAILED by <c>replab runs --repair</c>. What the
/// store had already recorded stays as it was.
/// </summary>
public sealed class DegradingTracker(ITracker inner, string store, TextWriter? log = null) : ITracker
{
    private readonly TextWriter log = log ?? Console.Error;

    /// <summary>The first write failure, once there was one.</summary>
    public IOException? Failure { get; private set; }

    private bool started;

    public void Emit(TrackingEvent e)
    {
        // After a failure only the end is tried again, and only for a run the store has.
        if (Failure is not null && (e is not RunEnded || !started)) return;
        try
        {
            inner.Emit(e);
            if (e is RunStarted) started = true;
        }
        catch (IOException ex) when (Failure is null)
        {
            Failure = ex;
            log.WriteLine($"replab: warning: the MLflow store {store} cannot be written ({ex.Message}): training goes on and metrics.jsonl " +
                          "in the run folder keeps every record; the store gets nothing more from this run");
        }
        catch (IOException ex)
        {
            log.WriteLine($"replab: warning: the MLflow store {store} still cannot be written ({ex.Message}): its run stays RUNNING " +
                          "until `replab runs --repair` marks it FAILED; metrics.jsonl in the run folder has the whole run");
        }
    }

    /// <summary>The inner tracker's upload is awaited even after a failure: what reached the store before it still ships.</summary>
    public bool Complete(CancellationToken interrupt) => inner.Complete(interrupt);

    public void Dispose() => inner.Dispose();
}
