using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GanServe.Server.Tests.Browser;

/// <summary>
/// The built server (<c>dotnet GanServe.Server.dll</c>) as a real process on a free loopback port (18100-18999) over
/// the repository's <c>models/</c> or another repository, started from a folder outside the repository; stopped and
/// its folder removed on dispose.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly string _workingDirectory;

    private ServerProcess(Process process, string workingDirectory, Uri baseAddress)
    {
        _process = process;
        _workingDirectory = workingDirectory;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>The server's process id (the <c>dotnet</c> host runs the app in its own process).</summary>
    public int Id => _process.Id;

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code once it has ended.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>What the server wrote so far, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "GanServe.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException($"No GanServe.sln above {AppContext.BaseDirectory}.");
        }
    }

    /// <summary>Starts the server and waits (bounded) until <c>/readyz</c> answers 200.</summary>
    public static Task<ServerProcess> StartAsync(TimeSpan readyWithin) => StartAsync(readyWithin, modelsPath: null);

    /// <summary>
    /// Starts the server over <paramref name="modelsPath"/> (default: the repository's <c>models/</c>) with extra
    /// settings (environment variables such as <c>GanServe__ShutdownTimeout</c>), and waits (bounded) until
    /// <c>/readyz</c> answers 200, or only until it answers at all and no model is still loading when
    /// <paramref name="requireReady"/> is false (a repository with a broken model never becomes ready).
    /// </summary>
    public static async Task<ServerProcess> StartAsync(
        TimeSpan readyWithin, string? modelsPath, IReadOnlyDictionary<string, string>? environment = null, bool requireReady = true)
    {
        var (start, workingDirectory, baseAddress) = StartInfo(modelsPath, environment);
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var server = new ServerProcess(process, workingDirectory, baseAddress);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await server.WaitUntilReadyAsync(readyWithin, requireReady);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>
    /// Runs the server until it exits by itself (a start-up failure), bounded by <paramref name="within"/>; returns
    /// its exit code and everything it wrote, or null for the code when it was still running (then it is killed).
    /// </summary>
    public static async Task<(int? ExitCode, string Output)> RunUntilExitAsync(IReadOnlyDictionary<string, string> environment, TimeSpan within)
    {
        var (start, workingDirectory, _) = StartInfo(modelsPath: null, environment);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        int? exitCode = null;
        using (var timeout = new CancellationTokenSource(within))
        {
            try
            {
                await process.WaitForExitAsync(timeout.Token);
                exitCode = process.ExitCode;
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        // WaitForExitAsync also waits for the redirected streams to end, so the output is complete here.
        Directory.Delete(workingDirectory, recursive: true);
        lock (output)
        {
            return (exitCode, output.ToString());
        }
    }

    private static (ProcessStartInfo Start, string WorkingDirectory, Uri BaseAddress) StartInfo(string? modelsPath, IReadOnlyDictionary<string, string>? environment)
    {
        var root = RepositoryRoot;

        // The server project's build output for this configuration (bin/Release/net10.0 beside the tests' own).
        var outputPath = Path.GetRelativePath(Path.Combine(root, "tests", "GanServe.Server.Tests"), AppContext.BaseDirectory);
        var dll = Path.Combine(root, "src", "GanServe.Server", outputPath, "GanServe.Server.dll");
        Assert.True(File.Exists(dll), $"The built server is missing at {dll}.");

        var port = FreeLoopbackPort();
        var baseAddress = new Uri($"http://127.0.0.1:{port}");
        var workingDirectory = Directory.CreateTempSubdirectory("ganserve-browser-").FullName;
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(baseAddress.ToString().TrimEnd('/'));
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["GanServe__ModelsPath"] = modelsPath ?? Path.Combine(root, "models");
        start.Environment["GanServe__Inference__Provider"] = "Cpu";
        start.Environment["GanServe__Inference__IntraOpThreads"] = "1";
        start.Environment["GanServe__DrainDelay"] = "00:00:00";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return (start, workingDirectory, baseAddress);
    }

    /// <summary>Sends SIGTERM, as Kubernetes does to stop a pod (<see cref="Process.Kill()"/> would send SIGKILL).</summary>
    public void Terminate()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })
            ?? throw new InvalidOperationException("kill did not start.");
        kill.WaitForExit();
        Assert.True(kill.ExitCode == 0, $"kill -TERM {Id} failed with {kill.ExitCode}.");
    }

    /// <summary>Waits for the process to end; false when it is still running after <paramref name="within"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
        Directory.Delete(_workingDirectory, recursive: true);
    }

    private async Task WaitUntilReadyAsync(TimeSpan within, bool requireReady)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < within)
        {
            Assert.False(_process.HasExited, $"The server exited with {(_process.HasExited ? _process.ExitCode : 0)} before it was ready:\n{Log}");
            try
            {
                using var response = await client.GetAsync("/readyz");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                if (!requireReady)
                {
                    var body = await response.Content.ReadAsStringAsync();
                    if (!body.Contains("\"loading\"", StringComparison.Ordinal) && !body.Contains("\"warming up\"", StringComparison.Ordinal))
                    {
                        return;
                    }
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            // Polling a separate process: there is nothing in-process to wait on.
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        Assert.Fail($"The server was not ready within {within}:\n{Log}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    /// <summary>A free loopback port in 18100-18999 (the range test servers here may use).</summary>
    private static int FreeLoopbackPort()
    {
        for (var attempt = 0; attempt < 200; attempt++)
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
