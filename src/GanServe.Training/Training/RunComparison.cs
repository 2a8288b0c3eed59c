using System.Globalization;
using System.Text;

namespace GanServe.Training.Training;

/// <summary>Summary of one run's first steps, for comparing loss forms.</summary>
public sealed record RunSummary(string Label, int Steps, double MeanGradNormFirst50, double MeanGradNorm, double FinalMeanDFake, double FinalGeneratorLoss);

/// <summary>Compares the generator's gradient norm across runs: a plot of the curves and a Markdown table.</summary>
public static class RunComparison
{
    /// <summary>Summarises the first <paramref name="steps"/> steps of a run.</summary>
    public static RunSummary Summarise(string label, IReadOnlyList<StepMetrics> metrics, int steps)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var rows = metrics.Take(steps).ToList();
        if (rows.Count == 0)
        {
            throw new InvalidDataException($"Run '{label}' has no metrics rows.");
        }

        var tail = rows.Skip(Math.Max(0, rows.Count - 50)).ToList();
        return new RunSummary(
            label,
            rows.Count,
            rows.Take(50).Average(r => r.GeneratorGradNorm),
            rows.Average(r => r.GeneratorGradNorm),
            tail.Average(r => r.MeanDFake),
            tail.Average(r => r.GeneratorLoss));
    }

    /// <summary>Writes a PNG with one gradient-norm curve (moving average) per run, log-scaled.</summary>
    public static void Plot(IReadOnlyList<(string Label, IReadOnlyList<StepMetrics> Metrics)> runs, int steps, string path)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var plot = new ScottPlot.Plot();
        foreach (var (label, metrics) in runs)
        {
            var rows = metrics.Take(steps).ToList();
            var x = rows.Select(r => (double)r.Step).ToArray();
            var y = LossCurve.Smooth(rows.Select(r => Math.Log10(Math.Max(r.GeneratorGradNorm, 1e-12))), 5);
            plot.Add.ScatterLine(x, y).LegendText = label;
        }

        plot.Title("Generator gradient norm, first steps (same seed)");
        plot.XLabel("step");
        plot.YLabel("log10 |grad G| (moving average of 5 steps)");
        plot.ShowLegend();
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        plot.SavePng(path, 1000, 600);
    }

    /// <summary>A Markdown table of the summaries.</summary>
    public static string Table(IEnumerable<RunSummary> summaries)
    {
        var text = new StringBuilder();
        text.AppendLine("| run | steps | mean grad norm, steps 1-50 | mean grad norm, all | mean D(G(z)), last 50 | G loss, last 50 |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var s in summaries)
        {
            text.AppendLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {s.Label} | {s.Steps} | {s.MeanGradNormFirst50:G4} | {s.MeanGradNorm:G4} | {s.FinalMeanDFake:F3} | {s.FinalGeneratorLoss:F3} |"));
        }

        return text.ToString();
    }
}
