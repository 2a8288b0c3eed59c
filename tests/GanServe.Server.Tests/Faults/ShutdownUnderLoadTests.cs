using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using GanServe.Server.Tests.Api;
using GanServe.Server.Tests.Browser;
using GanServe.Server.Tests.Support;
using Xunit.Abstractions;

namespace GanServe.Server.Tests.Faults;

/// <summary>
/// SIGTERM to the real server process under load: what it accepted before the signal is answered with its images,
/// what comes after gets 503 (draining) or, once the port has closed, a refused connection, and the process exits
/// with code 0 within its shutdown timeout.
/// </summary>
public sealed class ShutdownUnderLoadTests(ITestOutputHelper output)
{
    private const string Model = CommittedModel.Name;
    private const int Clients = 16;
    private const int Seeds = 16;
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The admission refusal while draining (ModelInstance): the request was never accepted.</summary>
    private const string RefusedAtAdmission = "The server is shutting down.";

    [CommittedModelFact]
    public async Task Sigterm_UnderLoad_AcceptedRequestsGetImagesLaterOnesGet503AndProcessExitsInTime()
    {
        await using var server = await ServerProcess.StartAsync(TimeSpan.FromSeconds(120), CommittedModel.Repository, new Dictionary<string, string>
        {
            ["GanServe__ShutdownTimeout"] = "00:00:05",
            ["GanServe__DrainDelay"] = "00:00:01",
            ["GanServe__Batching__MaxBatchSize"] = "8",

            // No 429 or 504 from the load itself: every request sent in time is accepted.
            ["GanServe__Batching__QueueCapacity"] = "4096",
            ["GanServe__Requests__DefaultTimeout"] = "00:01:00",
        });

        var clock = Stopwatch.StartNew();
        var records = new ConcurrentBag<Record>();
        var served = 0;
        var loaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long signalledAt = long.MaxValue;
        using var stop = new CancellationTokenSource();

        async Task ClientAsync(int client)
        {
            using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var record = await SendAsync(http, client, n, clock);
                records.Add(record);
                if (record.Status == 200 && Interlocked.Increment(ref served) == 100)
                {
                    loaded.TrySetResult();
                }

                if (record.Refused)
                {
                    return; // the port has closed
                }
            }
        }

        var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(() => ClientAsync(c))).ToArray();
        await loaded.Task.WaitAsync(TimeSpan.FromSeconds(120));

        // Signal while work is queued, so some requests are certainly accepted and not yet answered. The server is
        // another process: there is nothing to wait on but its stats.
        using (var stats = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) })
        {
            var queued = Stopwatch.StartNew();
            while (queued.Elapsed < TimeSpan.FromSeconds(30))
            {
                var depth = (await stats.GetFromJsonAsync<JsonElement>("/v1/stats")).GetProperty("models").GetProperty(Model).GetProperty("queueDepth").GetInt64();
                if (depth >= 2 * Seeds)
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(5));
            }
        }

        Volatile.Write(ref signalledAt, clock.ElapsedTicks);
        server.Terminate();
        var exited = await server.WaitForExitAsync(ShutdownTimeout + TimeSpan.FromSeconds(5));
        var exitAfter = TimeSpan.FromTicks(clock.ElapsedTicks - signalledAt) * ((double)TimeSpan.TicksPerSecond / Stopwatch.Frequency);
        await stop.CancelAsync();
        await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(60));

        // Bounded by the shutdown timeout; the extra seconds are the runtime's own teardown after the host stopped.
        Assert.True(exited, $"The server still runs {ShutdownTimeout + TimeSpan.FromSeconds(5)} after SIGTERM:\n{server.Log}");
        Assert.True(server.ExitCode == 0, $"Exit code {server.ExitCode}:\n{server.Log}");

        var signal = signalledAt;
        var before = records.Where(r => r.Started < signal).ToList();
        var after = records.Where(r => r.Started >= signal).ToList();
        var inFlightAtSignal = before.Where(r => r.Ended >= signal).ToList();

        // Sent before the signal: an image, unless the server read it only after it began draining and refused it at admission.
        foreach (var r in before)
        {
            Assert.True(r.Status == 200 && r.Valid || IsDrainingRefusal(r), $"Before the signal: {r}");
        }

        // After: 200 only until the first draining answer (the signal takes a moment to arrive); then 503, or no answer
        // at the transport level: refused once the port has closed, or a connection closed (reset, or ended with no
        // response) that the server had not read a request from when it stopped listening and closed idle connections.
        var firstDraining = records.Where(IsDrainingRefusal).Select(r => r.Ended).DefaultIfEmpty(long.MaxValue).Min();
        foreach (var r in after)
        {
            var allowed = IsDrainingRefusal(r) || r.Refused || r.Reset || (r.Status == 200 && r.Valid && r.Started < firstDraining);
            Assert.True(allowed, $"After the signal: {r}");
        }

        var accepted = inFlightAtSignal.Count(r => r.Status == 200);
        output.WriteLine(
            $"before the signal: {before.Count} ({inFlightAtSignal.Count} in flight at it, {accepted} of those 200, {before.Count(IsDrainingRefusal)} refused at admission); "
            + $"after: {after.Count} ({after.Count(r => r.Status == 200)} 200, {after.Count(IsDrainingRefusal)} 503 draining, {after.Count(r => r.Refused)} refused, {after.Count(r => r.Reset)} closed unanswered); "
            + $"exit code {server.ExitCode} after {exitAfter.TotalSeconds:F2} s");
        Assert.True(accepted > 0, $"No request was in flight at the signal ({before.Count} before, {after.Count} after).");
        Assert.Contains(after, IsDrainingRefusal);
        Assert.Contains(records, r => r.Refused);
        Assert.True(exitAfter <= ShutdownTimeout + TimeSpan.FromSeconds(5), $"exit {exitAfter}");
    }

    private static bool IsDrainingRefusal(Record r) =>
        r.Status == 503 && r.ProblemType == "urn:ganserve:problem:draining" && r.Detail == RefusedAtAdmission && r.RetryAfter;

    private static async Task<Record> SendAsync(HttpClient http, int client, int n, Stopwatch clock)
    {
        var started = clock.ElapsedTicks;
        var seed = (client * 100_000) + n;
        using var request = n % 2 == 0
            ? new HttpRequestMessage(HttpMethod.Get, $"/v1/models/{Model}/images/{seed}.png")
            : new HttpRequestMessage(HttpMethod.Post, $"/v1/models/{Model}/generate") { Content = JsonContent.Create(new { seeds = Enumerable.Range(seed, Seeds) }) };
        try
        {
            using var response = await http.SendAsync(request);
            var status = (int)response.StatusCode;
            var bytes = await response.Content.ReadAsByteArrayAsync();
            var ended = clock.ElapsedTicks;
            if (status == 200)
            {
                return new Record(client, n, started, ended, status, Valid(request.Method, bytes), null, null, false, null, false, false);
            }

            string? type = null, detail = null;
            if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
            {
                var problem = JsonSerializer.Deserialize<JsonElement>(bytes);
                type = problem.GetProperty("type").GetString();
                detail = problem.GetProperty("detail").GetString();
            }

            return new Record(client, n, started, ended, status, false, type, detail, response.Headers.RetryAfter is not null, null, false, false);
        }
        catch (HttpRequestException ex)
        {
            var socket = ex.InnerException as SocketException ?? ex.InnerException?.InnerException as SocketException;
            var closed = socket?.SocketErrorCode == SocketError.ConnectionReset || ex.HttpRequestError == HttpRequestError.ResponseEnded;
            return new Record(client, n, started, clock.ElapsedTicks, null, false, null, null, false, ex.ToString(),
                socket?.SocketErrorCode == SocketError.ConnectionRefused, closed);
        }
    }

    private static bool Valid(HttpMethod method, byte[] body)
    {
        if (method == HttpMethod.Get)
        {
            var (width, height, _) = Images.Grey(body);
            return width == 28 && height == 28;
        }

        var images = JsonSerializer.Deserialize<JsonElement>(body).GetProperty("images");
        return images.GetArrayLength() == Seeds
            && images.EnumerateArray().All(i => Images.Grey(i.GetProperty("data").GetBytesFromBase64()).Pixels.Length == 28 * 28);
    }

    /// <summary>
    /// One request: when it started and ended (stopwatch ticks), its status, whether its images were whole, its problem,
    /// or the transport error and whether that was a refused connection (nothing listens on the port any more) or one
    /// the server closed without an answer (reset, or ended before any response).
    /// </summary>
    private sealed record Record(
        int Client, int N, long Started, long Ended, int? Status, bool Valid, string? ProblemType, string? Detail, bool RetryAfter, string? Error, bool Refused, bool Reset);
}
