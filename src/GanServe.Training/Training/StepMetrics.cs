using System.Globalization;

namespace GanServe.Training.Training;

/// <summary>What one training step measured.</summary>
public sealed record StepMetrics(
    long Step,
    int Epoch,
    double DiscriminatorLoss,
    double GeneratorLoss,
    double MeanDReal,
    double MeanDFake,
    double GeneratorGradNorm,
    double ElapsedSeconds)
{
    /// <summary>The CSV header matching <see cref="ToCsv"/>.</summary>
    public const string CsvHeader = "step,epoch,d_loss,g_loss,d_real,d_fake,g_grad_norm,elapsed_s";

    /// <summary>One CSV row.</summary>
    public string ToCsv() => string.Join(
        ',',
        Step.ToString(CultureInfo.InvariantCulture),
        Epoch.ToString(CultureInfo.InvariantCulture),
        DiscriminatorLoss.ToString("R", CultureInfo.InvariantCulture),
        GeneratorLoss.ToString("R", CultureInfo.InvariantCulture),
        MeanDReal.ToString("R", CultureInfo.InvariantCulture),
        MeanDFake.ToString("R", CultureInfo.InvariantCulture),
        GeneratorGradNorm.ToString("R", CultureInfo.InvariantCulture),
        ElapsedSeconds.ToString("F3", CultureInfo.InvariantCulture));

    /// <summary>Parses a row written by <see cref="ToCsv"/>.</summary>
    public static StepMetrics Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var f = line.Split(',');
        if (f.Length != 8)
        {
            throw new FormatException($"Expected 8 fields in a metrics row, got {f.Length}: '{line}'.");
        }

        static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);
        return new StepMetrics(
            long.Parse(f[0], CultureInfo.InvariantCulture),
            int.Parse(f[1], CultureInfo.InvariantCulture),
            D(f[2]), D(f[3]), D(f[4]), D(f[5]), D(f[6]), D(f[7]));
    }

    /// <summary>
    /// Reads a metrics CSV file. A run that is still training may have a half-written last row;
    /// that row alone is skipped.
    /// </summary>
    public static List<StepMetrics> ReadCsv(string path)
    {
        var lines = File.ReadLines(path).Skip(1).Where(l => l.Length > 0).ToList();
        var rows = new List<StepMetrics>(lines.Count);
        for (var i = 0; i < lines.Count; i++)
        {
            try
            {
                rows.Add(Parse(lines[i]));
            }
            catch (FormatException) when (i == lines.Count - 1)
            {
                // the row being written right now
            }
        }

        return rows;
    }
}
