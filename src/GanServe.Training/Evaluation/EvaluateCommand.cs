using System.Globalization;
using GanServe.Training.Cli;
using GanServe.Training.Data;

namespace GanServe.Training.Evaluation;

/// <summary>The <c>evaluate</c> command: measures a generator with the evaluation classifier and records it in its card.</summary>
public static class EvaluateCommand
{
    /// <summary>Usage text.</summary>
    public const string Usage = """
        evaluate --model fashion-dcgan [--models models] [--classifier fashion-classifier] [--data DIR]
              [--samples 10000] [--batch-size 500] [--threads N]
              (Fréchet distance over seeds 0..samples-1 vs the test split; floor: the first `samples` training images)
        """;

    /// <summary>Runs the command.</summary>
    public static int Run(CommandLine cl)
    {
        ArgumentNullException.ThrowIfNull(cl);
        var request = new EvaluateRequest
        {
            Model = cl.Text("model") ?? throw new UsageException("--model NAME is required."),
            ModelsDirectory = cl.Text("models", "models"),
            Classifier = cl.Text("classifier", "fashion-classifier"),
            DataDirectory = cl.Text("data", FashionMnist.DefaultDirectory),
            Samples = cl.Int("samples", 10_000),
            BatchSize = cl.Int("batch-size", 500),
            Threads = cl.Int("threads", 0),
        };
        cl.RejectUnknown();
        Console.WriteLine($"Evaluating '{request.Model}' with '{request.Classifier}' on {request.Samples} samples:");
        var result = QualityEvaluator.Evaluate(request, Console.Out);
        Console.WriteLine();
        Console.Write(Summary(result));
        return 0;
    }

    /// <summary>The figures, the class shares and the stage times as plain-text tables.</summary>
    public static string Summary(EvaluateResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var q = result.Quality;
        var text = new System.Text.StringBuilder();
        void Row(string name, string value) => text.Append(CultureInfo.InvariantCulture, $"  {name,-32} {value,12}\n");
        text.Append("quality\n");
        Row("samples", q.Samples.ToString(CultureInfo.InvariantCulture));
        Row("Fréchet distance", q.FrechetDistance.ToString("F4", CultureInfo.InvariantCulture));
        Row("Fréchet floor (train/test)", q.FrechetFloor.ToString("F4", CultureInfo.InvariantCulture));
        Row("ratio", q.FrechetRatio.ToString("F3", CultureInfo.InvariantCulture));
        Row("classes under 5 %", q.Shares.ClassesUnderFivePercent.ToString(CultureInfo.InvariantCulture));
        Row("KL(shares ‖ uniform)", q.Shares.KlFromUniform.ToString("F4", CultureInfo.InvariantCulture));
        Row("mean confidence", q.Shares.MeanConfidence.ToString("F4", CultureInfo.InvariantCulture));
        Row("classifier", $"{q.ClassifierName} v{q.ClassifierVersion}");
        Row("classifier test accuracy", q.ClassifierTestAccuracy.ToString("P2", CultureInfo.InvariantCulture));
        text.Append("class shares\n");
        for (var i = 0; i < q.ClassNames.Count; i++)
        {
            Row(q.ClassNames[i], ClassShareChart.Percent(q.Shares.Shares[i]) + " %");
        }

        text.Append("wall time\n");
        foreach (var stage in result.Stages)
        {
            Row(stage.Stage, stage.Seconds.ToString("F1", CultureInfo.InvariantCulture) + " s");
        }

        Row("total", result.Stages.Sum(s => s.Seconds).ToString("F1", CultureInfo.InvariantCulture) + " s");
        text.Append(CultureInfo.InvariantCulture, $"Wrote quality into {result.CardPath} and the chart {result.ChartPath}.\n");
        return text.ToString();
    }
}
