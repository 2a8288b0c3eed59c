namespace GanServe.Training.Evaluation;

/// <summary>Bar chart of the generated images' class shares, with the 5 %, 10 % (uniform) and 15 % lines.</summary>
public static class ClassShareChart
{
    /// <summary>Writes the chart as a PNG.</summary>
    public static void Save(IReadOnlyList<string> classNames, IReadOnlyList<double> shares, string path, string title)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(shares);
        if (classNames.Count != shares.Count)
        {
            throw new ArgumentException($"{classNames.Count} class names for {shares.Count} shares.");
        }

        var percent = shares.Select(s => s * 100).ToArray();
        var positions = Enumerable.Range(0, percent.Length).Select(i => (double)i).ToArray();
        var plot = new ScottPlot.Plot();
        var bars = plot.Add.Bars(positions, percent);
        bars.Color = ScottPlot.Colors.SteelBlue;
        for (var i = 0; i < bars.Bars.Count; i++)
        {
            bars.Bars[i].Label = Percent(shares[i]);
        }

        bars.ValueLabelStyle.FontSize = 12;
        Reference(plot, 100.0 / percent.Length, "uniform", ScottPlot.Colors.Black, ScottPlot.LinePattern.Solid);
        Reference(plot, 5, "5 %", ScottPlot.Colors.Red, ScottPlot.LinePattern.Dashed);
        Reference(plot, 15, "15 %", ScottPlot.Colors.DarkOrange, ScottPlot.LinePattern.Dashed);

        plot.Axes.Bottom.SetTicks(positions, [.. classNames]);
        plot.Axes.SetLimitsY(0, Math.Max(20, percent.Max() * 1.15));
        plot.Title(title);
        plot.YLabel("share of generated images (%)");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        plot.SavePng(path, 1000, 560);
    }

    /// <summary>A share as a percentage with one decimal, e.g. 0.0615 → "6.2".</summary>
    /// <remarks>Through decimal, so a share such as 615/10 000 rounds as written rather than as its binary neighbour.</remarks>
    public static string Percent(double share) =>
        Math.Round((decimal)share * 100, 1, MidpointRounding.AwayFromZero).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);

    private static void Reference(ScottPlot.Plot plot, double y, string label, ScottPlot.Color color, ScottPlot.LinePattern pattern)
    {
        var line = plot.Add.HorizontalLine(y);
        line.LineColor = color;
        line.LinePattern = pattern;
        line.LineWidth = 1.5f;
        line.LegendText = label;
    }
}
