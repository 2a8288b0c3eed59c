using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;

namespace GanServe.Benchmarks.Micro;

/// <summary>
/// The <c>micro</c> verb: BenchmarkDotNet over the serving hot path's pieces, allocations measured on every run.
/// Arguments are BenchmarkDotNet's own (<c>--filter *Png*</c>, <c>--job short</c>, <c>--list flat</c>).
/// </summary>
public static class MicroBenchmarks
{
    /// <summary>Runs the benchmarks the arguments select (all of them with <c>--filter *</c>).</summary>
    public static int Run(string[] args)
    {
        var config = DefaultConfig.Instance.AddDiagnoser(MemoryDiagnoser.Default);
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(MicroBenchmarks).Assembly).Run(args, config);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
