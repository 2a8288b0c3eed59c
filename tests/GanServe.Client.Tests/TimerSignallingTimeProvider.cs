using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace GanServe.Client.Tests;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that reports each timer created, so a test advances the clock only after
/// the code under test has started the wait it means to end (advancing first would leave that wait pending).
/// </summary>
internal sealed class TimerSignallingTimeProvider : FakeTimeProvider
{
    private readonly Channel<TimeSpan> _created = Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _created.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>Completes once a timer due after <paramref name="dueTime"/> has been created (fails after a real-time bound).</summary>
    public async Task WaitForTimerAsync(TimeSpan dueTime)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await _created.Reader.ReadAsync(bound.Token) != dueTime)
        {
        }
    }
}
