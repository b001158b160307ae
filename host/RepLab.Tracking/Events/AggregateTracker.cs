namespace RepLab.Tracking;

/// <summary>
/// The one fan-out of a run's events: each event goes to every tracker in order, and one tracker's
/// exception does not keep the event from the others; the first is rethrown once all have had it
/// (a tracker that must not stop the run contains its own failures, as <see cref="DegradingTracker"/> does).
/// Events from several threads (the training loop, the system-metrics sampler, the stop timer) are
/// delivered one at a time, so the trackers behind it need not be thread-safe and all see one order.
/// </summary>
public sealed class AggregateTracker(IEnumerable<ITracker> trackers) : ITracker
{
    private readonly IReadOnlyList<ITracker> trackers = trackers.ToList();
    private readonly Lock gate = new();

    public void Emit(TrackingEvent e)
    {
        lock (gate) ForEach(t => t.Emit(e));
    }

    /// <summary>Every tracker's upload, each given the same interrupt; true when all completed.</summary>
    public bool Complete(CancellationToken interrupt)
    {
        var all = true;
        ForEach(t => all &= t.Complete(interrupt));
        return all;
    }

    public void Dispose() => ForEach(t => t.Dispose());

    private void ForEach(Action<ITracker> action)
    {
        Exception? first = null;
        foreach (var t in trackers)
        {
            try { action(t); }
            catch (Exception e) { first ??= e; }
        }
        if (first is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
    }
}
