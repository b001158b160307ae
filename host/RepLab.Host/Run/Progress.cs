using System.Diagnostics;
using Spectre.Console;

namespace RepLab.Host.Run;

/// <summary>Shows training progress: a live Spectre.Console bar on a terminal, plain periodic lines otherwise.</summary>
internal interface ITrainingProgress
{
    void Update(int epoch, int epochs, long step, long totalSteps, IReadOnlyDictionary<string, double> losses, double imagesPerSecond);

    void Message(string text);
}

internal static class TrainingProgress
{
    /// <summary>Runs <paramref name="body"/> with the progress display that suits the output.</summary>
    public static T Run<T>(string title, Func<ITrainingProgress, T> body)
    {
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            return body(new PlainProgress());
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: 1);
                result = body(new LiveProgress(task));
            });
        return result;
    }

    internal static string Describe(int epoch, int epochs, IReadOnlyDictionary<string, double> losses, double imagesPerSecond) =>
        $"epoch {epoch + 1}/{epochs} " + string.Join(" ", losses.Select(kv => $"{kv.Key.Replace("loss/", "")}={kv.Value:G4}")) +
        $" {imagesPerSecond:F0} img/s";

    private sealed class LiveProgress(ProgressTask task) : ITrainingProgress
    {
        public void Update(int epoch, int epochs, long step, long totalSteps, IReadOnlyDictionary<string, double> losses, double imagesPerSecond)
        {
            task.MaxValue = Math.Max(totalSteps, 1);
            task.Value = step;
            task.Description = Markup.Escape(Describe(epoch, epochs, losses, imagesPerSecond));
        }

        public void Message(string text) => AnsiConsole.MarkupLine(Markup.Escape(text));
    }

    private sealed class PlainProgress : ITrainingProgress
    {
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private TimeSpan last = TimeSpan.FromDays(-1);

        public void Update(int epoch, int epochs, long step, long totalSteps, IReadOnlyDictionary<string, double> losses, double imagesPerSecond)
        {
            // A line every 10 s and at the end: enough for logs of batch jobs, not a flood.
            if (step != totalSteps && clock.Elapsed - last < TimeSpan.FromSeconds(10)) return;
            last = clock.Elapsed;
            var eta = step > 0 ? TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / step * (totalSteps - step)) : TimeSpan.Zero;
            Console.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] step {step}/{totalSteps} {Describe(epoch, epochs, losses, imagesPerSecond)} eta {eta:hh\\:mm\\:ss}");
        }

        public void Message(string text) => Console.WriteLine(text);
    }
}
