using System.Globalization;

namespace GanServe.LoadGen.Load;

/// <summary>Resident memory of a process (VmRSS in /proc/PID/status), first, last and largest sample, in MiB.</summary>
public sealed record MemorySummary(int ProcessId, int Samples, double? FirstMiB, double? LastMiB, double? MaxMiB);

/// <summary>Samples a process's resident memory once a second while a run lasts (Linux only).</summary>
public sealed class MemoryWatcher : IAsyncDisposable
{
    private readonly int _pid;
    private readonly List<double> _samplesMiB = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Starts sampling <paramref name="pid"/> now and every <paramref name="interval"/> (default one second).</summary>
    public MemoryWatcher(int pid, TimeSpan? interval = null)
    {
        _pid = pid;
        _loop = SampleAsync(interval ?? TimeSpan.FromSeconds(1));
    }

    /// <summary>The value of the VmRSS line of a /proc/PID/status text in KiB, or null when there is none.</summary>
    public static long? ParseVmRssKiB(string status)
    {
        ArgumentNullException.ThrowIfNull(status);
        foreach (var line in status.Split('\n'))
        {
            if (!line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                continue;
            }

            var fields = line["VmRSS:".Length..].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 0 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var kib) ? kib : null;
        }

        return null;
    }

    /// <summary>Stops sampling and summarises.</summary>
    public async Task<MemorySummary> StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        lock (_samplesMiB)
        {
            return new MemorySummary(
                _pid,
                _samplesMiB.Count,
                _samplesMiB.Count == 0 ? null : _samplesMiB[0],
                _samplesMiB.Count == 0 ? null : _samplesMiB[^1],
                _samplesMiB.Count == 0 ? null : _samplesMiB.Max());
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }

    private async Task SampleAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        do
        {
            string text;
            try
            {
                text = await File.ReadAllTextAsync($"/proc/{_pid}/status");
            }
            catch (IOException)
            {
                return; // The process is gone.
            }
            catch (UnauthorizedAccessException)
            {
                return;
            }

            if (ParseVmRssKiB(text) is { } kib)
            {
                lock (_samplesMiB)
                {
                    _samplesMiB.Add(kib / 1024.0);
                }
            }

            try
            {
                if (!await timer.WaitForNextTickAsync(_stop.Token))
                {
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        while (true);
    }
}
