using System.Globalization;

namespace GanServe.LoadGen.Sweep;

/// <summary>The sweep as a PNG: latency (p50 and p99) against throughput, one point per concurrency, the knee marked.</summary>
public static class SweepPlot
{
    /// <summary>Writes the plot to <paramref name="path"/>.</summary>
    public static void Save(IReadOnlyList<SweepPoint> points, int kneeIndex, string path, string title)
    {
        ArgumentNullException.ThrowIfNull(points);
        var ordered = points.Select((p, i) => (Point: p, Index: i)).OrderBy(p => p.Point.Clients).ToArray();
        var xs = ordered.Select(p => p.Point.ImagesPerSecond).ToArray();
        var plot = new ScottPlot.Plot();
        var p50 = plot.Add.Scatter(xs, ordered.Select(p => p.Point.P50Ms ?? double.NaN).ToArray());
        p50.LegendText = "p50 latency";
        var p99 = plot.Add.Scatter(xs, ordered.Select(p => p.Point.P99Ms ?? double.NaN).ToArray());
        p99.LegendText = "p99 latency";
        p99.LinePattern = ScottPlot.LinePattern.Dashed;
        foreach (var (point, _) in ordered)
        {
            if (point.P99Ms is { } y)
            {
                var label = plot.Add.Text(point.Clients.ToString(CultureInfo.InvariantCulture), point.ImagesPerSecond, y);
                label.LabelFontSize = 11;
                label.LabelAlignment = ScottPlot.Alignment.LowerCenter;
            }
        }

        if (kneeIndex >= 0 && kneeIndex < points.Count && points[kneeIndex].P50Ms is { } kneeY)
        {
            var knee = points[kneeIndex];
            var marker = plot.Add.Marker(knee.ImagesPerSecond, kneeY, ScottPlot.MarkerShape.OpenCircle, 22, ScottPlot.Colors.Red);
            marker.LegendText = string.Create(CultureInfo.InvariantCulture, $"knee: {knee.Clients} clients, {knee.ImagesPerSecond:0} images/s");
            plot.Add.VerticalLine(knee.ImagesPerSecond, 1, ScottPlot.Colors.Red, ScottPlot.LinePattern.Dotted);
        }

        plot.Title(title);
        plot.XLabel("throughput (images/s)");
        plot.YLabel("latency of 200 answers (ms); labels: clients");
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        Reporting.LoadReport.CreateDirectoryFor(path);
        plot.SavePng(path, 1000, 600);
    }
}
