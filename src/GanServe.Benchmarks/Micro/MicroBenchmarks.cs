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
    /// <remarks>
    /// Benchmarks run in process: BenchmarkDotNet's default toolchain rebuilds the project under the assembly's
    /// name, and this assembly (<c>ganserve-bench</c>) is named differently from its project.
    /// </remarks>
    public static int Run(string[] args)
    {
        if (!args.Contains("--inProcess", StringComparer.OrdinalIgnoreCase) && !args.Contains("-i", StringComparer.Ordinal))
        {
            args = [.. args, "--inProcess"];
        }

        var config = DefaultConfig.Instance.AddDiagnoser(MemoryDiagnoser.Default);
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(MicroBenchmarks).Assembly).Run(args, config);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
