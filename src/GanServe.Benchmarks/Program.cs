using GanServe.Benchmarks;
using GanServe.Benchmarks.Micro;
using GanServe.Benchmarks.Report;

if (args is ["report", ..])
{
    // The load generator runs in this process: give its sockets the setting ganserve-load gives them (socket
    // completions inline, not a thread-pool hop per read). ServerChild keeps it out of the server's environment.
    if (Environment.GetEnvironmentVariable(ServerChild.InlineCompletions) is null)
    {
        Environment.SetEnvironmentVariable(ServerChild.InlineCompletions, "1");
    }

    return await BenchmarkReport.RunAsync(args[1..]);
}

if (args is ["micro", ..])
{
    return MicroBenchmarks.Run(args[1..]);
}

if (args.Length == 0 || args[0] != "engine")
{
    Console.Error.WriteLine(EngineBenchmark.Usage);
    Console.Error.WriteLine("""
               ganserve-bench report [--repeats 3] [--duration S] [--out DIR] ...   the one benchmark command (report --help)
               ganserve-bench micro [BenchmarkDotNet options, e.g. --filter *Png* --job short]
        """);
    return args.Length == 0 ? 0 : 2;
}

return EngineBenchmark.Run(args[1..]);
