using System.Diagnostics;
using System.Globalization;

namespace GanServe.Training.Training;

/// <summary>
/// A one-line progress bar with ETA. On a terminal it redraws in place a few times a second;
/// into a file or pipe it writes a line every 10% instead, so logs stay readable.
/// </summary>
public sealed class ProgressBar(TextWriter writer)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _interactive = ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;
    private TimeSpan _lastDraw = TimeSpan.MinValue;
    private int _lastDecile = -1;

    /// <summary>Shows progress after a step.</summary>
    public void Report(int epoch, int epochs, long done, long total, StepMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var fraction = total == 0 ? 1 : (double)done / total;
        var elapsed = _clock.Elapsed;
        var eta = fraction > 0 ? TimeSpan.FromSeconds(elapsed.TotalSeconds * (1 - fraction) / fraction) : TimeSpan.Zero;
        var filled = (int)(fraction * 30);
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"epoch {epoch}/{epochs} [{new string('#', filled)}{new string('.', 30 - filled)}] {fraction * 100,5:F1}% step {metrics.Step} D {metrics.DiscriminatorLoss:F3} G {metrics.GeneratorLoss:F3} |∇G| {metrics.GeneratorGradNorm:F3} ETA {eta:hh\\:mm\\:ss}");
        if (_interactive)
        {
            if (elapsed - _lastDraw > TimeSpan.FromMilliseconds(250) || done == total)
            {
                writer.Write("\r" + line);
                _lastDraw = elapsed;
            }
        }
        else
        {
            var decile = (int)(fraction * 10);
            if (decile != _lastDecile)
            {
                writer.WriteLine(line);
                _lastDecile = decile;
            }
        }
    }

    /// <summary>Ends the current line.</summary>
    public void Finish()
    {
        if (_interactive)
        {
            writer.WriteLine();
        }
    }
}
