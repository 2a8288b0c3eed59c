using GanServe.Training.Training;

namespace GanServe.Training.Cli;

/// <summary>The <c>compare</c> command: the generator gradient norms of several runs in one plot and table.</summary>
public static class CompareCommand
{
    /// <summary>Usage text.</summary>
    public const string Usage = """
        compare --runs DIR,DIR[,...] [--labels A,B,...] [--steps 500] [--out docs/gradient-norm.png]
        """;

    /// <summary>Runs the command.</summary>
    public static int Run(CommandLine cl)
    {
        ArgumentNullException.ThrowIfNull(cl);
        var runs = (cl.Text("runs") ?? throw new UsageException("--runs DIR,DIR is required.")).Split(',', StringSplitOptions.RemoveEmptyEntries);
        var labels = cl.Text("labels")?.Split(',') ?? [.. runs.Select(Path.GetFileName).Select(n => n ?? "run")];
        var steps = cl.Int("steps", 500);
        var output = cl.Text("out", "docs/gradient-norm.png");
        cl.RejectUnknown();
        if (labels.Length != runs.Length)
        {
            throw new UsageException("--labels must name each run once.");
        }

        var loaded = runs.Select((run, i) =>
        {
            var csv = Path.Combine(run, "metrics.csv");
            if (!File.Exists(csv))
            {
                throw new FileNotFoundException($"{csv} does not exist; is '{run}' a training run folder?", csv);
            }

            return (Label: labels[i], Metrics: (IReadOnlyList<StepMetrics>)StepMetrics.ReadCsv(csv));
        }).ToList();

        RunComparison.Plot(loaded, steps, output);
        Console.Write(RunComparison.Table(loaded.Select(r => RunComparison.Summarise(r.Label, r.Metrics, steps))));
        Console.WriteLine($"plot: {output}");
        return 0;
    }
}
