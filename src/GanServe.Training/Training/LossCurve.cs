namespace GanServe.Training.Training;

/// <summary>Plots the per-step losses and the generator's gradient norm of a run.</summary>
public static class LossCurve
{
    /// <summary>Writes a PNG of the smoothed losses, with the generator's gradient norm on the right axis.</summary>
    public static void Save(IReadOnlyList<StepMetrics> metrics, string path, string title)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (metrics.Count == 0)
        {
            return;
        }

        var steps = metrics.Select(m => (double)m.Step).ToArray();
        var window = Math.Max(1, metrics.Count / 200);
        var plot = new ScottPlot.Plot();
        plot.Add.ScatterLine(steps, Smooth(metrics.Select(m => m.DiscriminatorLoss), window)).LegendText = "D loss";
        plot.Add.ScatterLine(steps, Smooth(metrics.Select(m => m.GeneratorLoss), window)).LegendText = "G loss";
        var grad = plot.Add.ScatterLine(steps, Smooth(metrics.Select(m => m.GeneratorGradNorm), window));
        grad.LegendText = "|grad G| (right axis)";
        grad.Axes.YAxis = plot.Axes.Right;
        plot.Axes.Right.Label.Text = "generator gradient norm";
        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel($"loss (moving average of {window} steps)");
        plot.ShowLegend();
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        plot.SavePng(path, 1000, 600);
    }

    /// <summary>Trailing moving average over <paramref name="window"/> steps.</summary>
    internal static double[] Smooth(IEnumerable<double> values, int window)
    {
        var input = values.ToArray();
        var output = new double[input.Length];
        double sum = 0;
        for (var i = 0; i < input.Length; i++)
        {
            sum += input[i];
            if (i >= window)
            {
                sum -= input[i - window];
            }

            output[i] = sum / Math.Min(i + 1, window);
        }

        return output;
    }
}
