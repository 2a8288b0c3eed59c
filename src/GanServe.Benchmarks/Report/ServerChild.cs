using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GanServe.Benchmarks.Report;

/// <summary>
/// The built server (<c>dotnet GanServe.Server.dll</c>) as a child process on a loopback port in 18100–18999,
/// with the given settings as GanServe__* environment variables; killed on dispose.
/// </summary>
internal sealed class ServerChild : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ServerChild(Process process, Uri url)
    {
        _process = process;
        Url = url;
    }

    public Uri Url { get; }

    public int ProcessId => _process.Id;

    /// <summary>The runtime's switch for inline socket completions, set for the load generator only.</summary>
    internal const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Starts the server and waits until /readyz answers 200 (at most <paramref name="readyWithin"/>).</summary>
    public static async Task<ServerChild> StartAsync(string serverDll, string modelsPath, IReadOnlyDictionary<string, string> settings, TimeSpan readyWithin)
    {
        var port = FreeLoopbackPort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(serverDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(serverDll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment.Remove(InlineCompletions); // the server runs with the runtime's defaults, as in production
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["GanServe__ModelsPath"] = modelsPath;
        start.Environment["GanServe__DrainDelay"] = "00:00:00";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var child = new ServerChild(process, url);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await child.WaitUntilReadyAsync(readyWithin);
        }
        catch
        {
            await child.DisposeAsync();
            throw;
        }

        return child;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private async Task WaitUntilReadyAsync(TimeSpan within)
    {
        using var client = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < within)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with {_process.ExitCode} before it was ready:\n{Log()}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri("readyz", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            // Another process: there is nothing in-process to wait on.
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        throw new TimeoutException($"The server was not ready within {within}:\n{Log()}");
    }

    private string Log()
    {
        lock (_log)
        {
            return _log.ToString();
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }

    // A random port in 18100-18999 that is free now (another process could still take it before the server does).
    private static int FreeLoopbackPort()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var port = Random.Shared.Next(18100, 19000);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken; try another.
            }
        }

        throw new InvalidOperationException("No free loopback port in 18100-18999.");
    }
}
