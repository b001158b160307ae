using System.Net;
using System.Net.Sockets;

namespace RepLab.Host.Tests.Tracking;

/// <summary>Listening sockets on 127.0.0.1 for the tests' stand-in servers and links.</summary>
internal static class Loopback
{
    /// <summary>
    /// Listens on <paramref name="port"/> (0: a free one; a port closed a moment ago can be taken
    /// again) and hands every connection to <paramref name="accepted"/> until the listener stops.
    /// </summary>
    public static TcpListener Listen(int port, Action<TcpClient> accepted)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        _ = Accept(listener, accepted);
        return listener;
    }

    /// <summary>The port <paramref name="listener"/> listens on.</summary>
    public static int Port(this TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;

    private static async Task Accept(TcpListener listener, Action<TcpClient> accepted)
    {
        while (true)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException) { return; }
            accepted(client);
        }
    }
}
