using System.Threading.Channels;

namespace GanServe.Client.Tests;

/// <summary>Answers each request with the next scripted response and reports every request it sees.</summary>
internal sealed class ScriptedHandler(Func<HttpRequestMessage, int, HttpResponseMessage> respond) : HttpMessageHandler
{
    private readonly Channel<HttpRequestMessage> _seen = Channel.CreateUnbounded<HttpRequestMessage>();
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Completes when the next request arrives (fails the test after a generous bound).</summary>
    public async Task<HttpRequestMessage> NextRequestAsync() =>
        await _seen.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var index = Interlocked.Increment(ref _count) - 1;
        var response = respond(request, index);
        response.RequestMessage = request;
        _seen.Writer.TryWrite(request);
        return Task.FromResult(response);
    }
}
