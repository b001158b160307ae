using System.Globalization;

namespace RepLab.Tracking;

/// <summary>
/// A circuit breaker for one tracking server, shared through the local store by every RepLab
/// process that uses both: a sweep and the trials it starts (on this machine or, with the store on
/// a shared filesystem, on a cluster's nodes), runs started one after another. Once a request was
/// refused, timed out or kept failing, the server counts as down for the cooldown: runs that start
/// or go on meanwhile do not try it, so each does not pay the timeout again, and their upload is
/// left to <c>replab sync</c> or a later run (the local store keeps everything). After the
/// cooldown one try decides again. The state is a small file at the store's root
/// (<c>replab-server-HASH.down</c>: when and why), which MLflow's readers ignore; where it cannot
/// be written the breaker still holds within this process.
/// </summary>
public sealed class ServerBreaker
{
    /// <summary>How long a server found down is left alone.</summary>
    public static readonly TimeSpan DefaultCooldown = TimeSpan.FromMinutes(2);

    private readonly string file;

    /// <summary>Where the store cannot be written: the last trip, known to this process alone.</summary>
    private (DateTimeOffset Since, string Reason)? unshared;

    /// <param name="storeRoot">The local store the processes share.</param>
    /// <param name="serverKey">The server's name in file names (a hash of its URI without credentials).</param>
    /// <param name="cooldown">How long a server found down is left alone (default <see cref="DefaultCooldown"/>).</param>
    public ServerBreaker(string storeRoot, string serverKey, TimeSpan? cooldown = null)
    {
        file = Path.Combine(storeRoot, $"replab-server-{serverKey}.down");
        Cooldown = cooldown ?? DefaultCooldown;
    }

    /// <summary>How long a server found down is left alone, by this process and by the others that read the file.</summary>
    public TimeSpan Cooldown { get; }

    /// <summary>When the server was last found down, and why, if that was less than the cooldown ago (here or by another process).</summary>
    public (DateTimeOffset Since, string Reason)? Open() =>
        (Read() ?? unshared) is { } state && DateTimeOffset.UtcNow - state.Since < Cooldown ? state : null;

    /// <summary>The server was found down now, for <paramref name="reason"/> (a few words, no credentials).</summary>
    public void Trip(string reason)
    {
        var now = DateTimeOffset.UtcNow;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            AtomicFile.Write(file, $"{now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}\n{reason}\n");
            unshared = null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            unshared = (now, reason);
        }
    }

    /// <summary>The server answered: nobody needs to leave it alone any more.</summary>
    public void Reset()
    {
        unshared = null;
        try
        {
            System.IO.File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A store that cannot be written: the file was never there, or it expires by itself.
        }
    }

    private (DateTimeOffset Since, string Reason)? Read()
    {
        try
        {
            var lines = System.IO.File.ReadAllLines(file);
            return lines.Length > 0 && long.TryParse(lines[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
                ? (DateTimeOffset.FromUnixTimeMilliseconds(ms), lines.Length > 1 ? lines[1] : "")
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
