using GanServe.Training.Classification;
using GanServe.Training.Cli;
using GanServe.Training.Evaluation;

var commands = new Dictionary<string, Func<CommandLine, int>>(StringComparer.Ordinal)
{
    ["train"] = TrainCommand.Run,
    ["export"] = GanServe.Training.Export.ExportCommand.Run,
    ["sample"] = SampleCommand.Run,
    ["train-classifier"] = TrainClassifierCommand.Run,
    ["evaluate"] = EvaluateCommand.Run,
    ["compare"] = CompareCommand.Run,
};
var flags = new HashSet<string>(StringComparer.Ordinal) { "resume", "help", "live", "train-mode", "refine", "spectral-norm" };

if (args.Length == 0 || args[0] is "-h" or "--help" or "help" || !commands.TryGetValue(args[0], out var command))
{
    Console.Error.WriteLine("usage: ganserve-train <command> [options]\n\ncommands:\n" + TrainCommand.Usage + "\n" + GanServe.Training.Export.ExportCommand.Usage + "\n" + SampleCommand.Usage + "\n" + TrainClassifierCommand.Usage + "\n" + EvaluateCommand.Usage + "\n" + CompareCommand.Usage);
    return args.Length == 0 || args[0] is "-h" or "--help" or "help" ? 0 : 2;
}

try
{
    return command(new CommandLine(args.Skip(1), flags));
}
catch (UsageException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}
catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or InvalidOperationException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
