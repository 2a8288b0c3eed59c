using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace GanServe.LoadGen.Load.Raw;

/// <summary>
/// The lean HTTP/1.1 transport: keep-alive socket connections that each carry one request at a time, requests
/// written from pre-encoded bytes, answers parsed over a reused buffer. A closed-loop client owns a connection
/// (<see cref="Open"/>); the open loop borrows idle ones from a pool (<see cref="SendPooledAsync"/>).
/// </summary>
internal sealed class RawTransport : IDisposable
{
    private readonly ConcurrentQueue<RawConnection> _idle = new();
    private readonly List<RawConnection> _all = [];
    private bool _disposed;

    /// <summary>A transport to <paramref name="settings"/>' server (http:// only) for <paramref name="model"/>.</summary>
    public RawTransport(LoadSettings settings, string model)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Url.Scheme != Uri.UriSchemeHttp)
        {
            throw new ArgumentException("The raw transport speaks plain http:// only; use --transport httpclient for https://.", nameof(settings));
        }

        Settings = settings;
        Writer = new RequestWriter(settings.Url, model, settings.ApiKey, settings.ServerTimeoutMs);
        var port = settings.Url.Port;
        EndPoint = IPAddress.TryParse(settings.Url.DnsSafeHost, out var address)
            ? new IPEndPoint(address, port)
            : new DnsEndPoint(settings.Url.DnsSafeHost, port);
    }

    /// <summary>What the run does.</summary>
    public LoadSettings Settings { get; }

    /// <summary>Writes the requests.</summary>
    public RequestWriter Writer { get; }

    /// <summary>The server's address.</summary>
    public EndPoint EndPoint { get; }

    /// <summary>A connection of its own (closed loop); it connects at its first request.</summary>
    public RawConnection Open()
    {
        var connection = new RawConnection(this);
        lock (_all)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _all.Add(connection);
        }

        return connection;
    }

    /// <summary>Sends on an idle pooled connection, or a new one; the connection goes back after a complete answer.</summary>
    public async ValueTask<RequestOutcome> SendPooledAsync(PlannedRequest planned, long startTimestamp)
    {
        var connection = _idle.TryDequeue(out var idle) ? idle : Open();
        var outcome = await connection.SendAsync(planned, startTimestamp);
        if (connection.IsOpen)
        {
            _idle.Enqueue(connection);
        }
        else
        {
            connection.Dispose();
            lock (_all)
            {
                _all.Remove(connection);
            }
        }

        return outcome;
    }

    /// <summary>Closes every connection.</summary>
    public void Dispose()
    {
        lock (_all)
        {
            _disposed = true;
            foreach (var connection in _all)
            {
                connection.Dispose();
            }

            _all.Clear();
        }

        _idle.Clear();
    }
}

/// <summary>One keep-alive connection, one request at a time; a cancelled or failed request closes its socket and the next one reconnects.</summary>
internal sealed class RawConnection : IDisposable
{
    private readonly RawTransport _transport;
    private readonly ResponseParser _parser = new();
    private byte[] _send = new byte[1024];
    private CancellationTokenSource _deadline = new();
    private Socket? _socket;

    /// <summary>A connection for <paramref name="transport"/>, not yet connected.</summary>
    public RawConnection(RawTransport transport) => _transport = transport;

    /// <summary>Whether it holds a socket the next request may reuse.</summary>
    public bool IsOpen => _socket is not null;

    /// <summary>Sends <paramref name="planned"/> and reads its whole answer; latency counts from <paramref name="startTimestamp"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<RequestOutcome> SendAsync(PlannedRequest planned, long startTimestamp)
    {
        ArgumentNullException.ThrowIfNull(planned);
        var settings = _transport.Settings;
        var cancelling = planned.Cancel && settings.CancelAfter <= settings.RequestTimeout;
        var length = Write(planned);
        _deadline.CancelAfter(cancelling ? settings.CancelAfter : settings.RequestTimeout);
        var token = _deadline.Token;
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                var reused = _socket is not null;
                _socket ??= await ConnectAsync(_transport.EndPoint, token);
                try
                {
                    await SendAllAsync(_socket, _send.AsMemory(0, length), token);
                    await ReceiveAnswerAsync(_socket, token);
                    break;
                }
                catch (Exception e) when (reused && attempt == 0 && !token.IsCancellationRequested && _parser.ReceivedNothing && e is SocketException or IOException)
                {
                    // The server had closed this idle keep-alive connection: send once more on a new one.
                    Close();
                }
            }

            var latency = Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
            var status = _parser.Status;
            if (_parser.MustClose || _parser.HasLeftover)
            {
                Close();
            }

            return new RequestOutcome(OutcomeKind.Answered, status, latency, status == 200 ? planned.Entry.Images : 0, _parser.BatchSizeSum, _parser.BatchSizeCount, _parser.HasRetryAfter);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // A client that gives up closes its connection; so does any transport or framing error.
            Close();
            var latency = Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
            return cancelling && token.IsCancellationRequested ? RequestOutcome.Cancel(latency) : RequestOutcome.Error(latency);
        }
        finally
        {
            if (!_deadline.TryReset())
            {
                _deadline.Dispose();
                _deadline = new CancellationTokenSource();
            }
        }
    }

    /// <summary>Closes the socket and frees the deadline timer.</summary>
    public void Dispose()
    {
        Close();
        _deadline.Dispose();
    }

    private static async ValueTask<Socket> ConnectAsync(EndPoint endPoint, CancellationToken token)
    {
        var socket = endPoint is IPEndPoint ip ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp) : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(endPoint, token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> bytes, CancellationToken token)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await socket.SendAsync(bytes, SocketFlags.None, token);
            bytes = bytes[sent..];
        }
    }

    private async ValueTask ReceiveAnswerAsync(Socket socket, CancellationToken token)
    {
        _parser.Start();
        while (true)
        {
            var received = await socket.ReceiveAsync(_parser.ReceiveSpace(), SocketFlags.None, token);
            if (received == 0 ? _parser.EndOfStream() : _parser.Received(received))
            {
                return;
            }
        }
    }

    private int Write(PlannedRequest planned)
    {
        var writer = _transport.Writer;
        var needed = writer.MaxLength(planned.Seeds.Length);
        if (_send.Length < needed)
        {
            _send = new byte[needed];
        }

        return planned.Entry.Endpoint == RequestMix.Image
            ? writer.WriteImage(_send, planned.Seeds[0], planned.Entry.Format)
            : writer.WriteGenerate(_send, planned.Seeds, planned.Entry.Format);
    }

    private void Close()
    {
        var socket = _socket;
        _socket = null;
        socket?.Dispose();
    }
}
