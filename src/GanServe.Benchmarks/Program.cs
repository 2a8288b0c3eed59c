using GanServe.Benchmarks;
using GanServe.Benchmarks.Micro;

if (args.Length > 0 && args[0] == "micro")
{
    return MicroBenchmarks.Run(args[1..]);
}

if (args.Length == 0 || args[0] != "engine")
{
    Console.Error.WriteLine(EngineBenchmark.Usage);
    return args.Length == 0 ? 0 : 2;
}

return EngineBenchmark.Run(args[1..]);
