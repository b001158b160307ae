using System.Net.Sockets;
using System.Text;

namespace RepLab.Host.Tests.Tracking;

/// <summary>
/// A STAND-IN for the network between RepLab and a tracking server, NOT a server: a port on
/// 127.0.0.1 that refuses connections (nothing listens), accepts them and never answers (a hung
/// server or proxy), or relays them byte for byte to a real server, optionally until a request
/// holding a marker has been relayed, after which no answer comes back (the request landed, its
/// answer was lost). It checks only our side: how RepLab behaves when the network fails this way.
/// Every socket it holds is closed when the mode changes and on dispose.
/// </summary>
public sealed class FaultyLink : IDisposable
{
    private readonly Lock gate = new();
    private readonly List<TcpClient> held = [];
    private TcpListener? listener;
    private Uri? upstream;
    private string? hangAfter;
    private volatile bool hanging;
    private int accepted;

    /// <summary>Takes a free port and refuses connections on it.</summary>
    public FaultyLink()
    {
        var probe = Loopback.Listen(0, c => c.Dispose());
        Port = probe.Port();
        probe.Stop();
    }

    public int Port { get; }

    public Uri Uri => new($"http://127.0.0.1:{Port}");

    /// <summary>Connections accepted so far, in every mode.</summary>
    public int Accepted => Volatile.Read(ref accepted);

    /// <summary>Nothing listens: a connection is refused at once.</summary>
    public void Refuse()
    {
        lock (gate)
        {
            listener?.Stop();
            listener = null;
            DropHeld();
        }
    }

    /// <summary>Connections are accepted and never answered.</summary>
    public void Hang()
    {
        lock (gate)
        {
            DropHeld();
            hanging = true;
            Listen();
        }
    }

    /// <summary>Connections are relayed to <paramref name="server"/>; after a request holding <paramref name="marker"/>, nothing more is answered.</summary>
    public void Relay(Uri server, string? marker = null)
    {
        lock (gate)
        {
            DropHeld();
            (upstream, hangAfter, hanging) = (server, marker, false);
            Listen();
        }
    }

    public void Dispose() => Refuse();

    private void Listen() => listener ??= Loopback.Listen(Port, OnConnection);

    private void DropHeld()
    {
        foreach (var c in held) c.Dispose();
        held.Clear();
    }

    private void Hold(TcpClient c)
    {
        lock (gate) held.Add(c);
    }

    private void OnConnection(TcpClient client)
    {
        Interlocked.Increment(ref accepted);
        Hold(client);
        if (!hanging && upstream is { } to) _ = Task.Run(() => Pipe(client, to));
    }

    private async Task Pipe(TcpClient client, Uri to)
    {
        var server = new TcpClient();
        Hold(server);
        try
        {
            await server.ConnectAsync(to.Host, to.Port);
            await Task.WhenAny(Pump(client.GetStream(), server.GetStream(), watch: true), Pump(server.GetStream(), client.GetStream(), watch: false));
            // A hung link keeps the client waiting; otherwise either side's end ends both.
            if (hanging) return;
            client.Dispose();
            server.Dispose();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException) { }
    }

    /// <summary>Copies bytes; requests are watched for the marker (seen before they are relayed), answers dropped once hanging.</summary>
    private async Task Pump(NetworkStream from, NetworkStream to, bool watch)
    {
        var buffer = new byte[64 * 1024];
        var tail = "";
        try
        {
            while (await from.ReadAsync(buffer) is var n and > 0)
            {
                if (watch && hangAfter is { } marker)
                {
                    var text = tail + Encoding.Latin1.GetString(buffer, 0, n);
                    if (text.Contains(marker, StringComparison.Ordinal)) hanging = true;
                    tail = text[Math.Max(0, text.Length - marker.Length)..];
                }
                if (!watch && hanging) continue;
                await to.WriteAsync(buffer.AsMemory(0, n));
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException) { }
    }
}
