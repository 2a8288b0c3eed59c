using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GanServe.Training.Gan;

/// <summary>
/// Recomputes a generator's BatchNorm running statistics for the weights it holds now.
/// The weight average is a different network from the live generator whose statistics it carries,
/// so its activations have other means and variances; serving it with the live statistics
/// normalises with the wrong numbers. This draws fresh latents, runs them through the generator in
/// training mode without gradients, and keeps the plain (cumulative) average of every batch's
/// statistics.
/// </summary>
public static class BatchNormRecalibration
{
    /// <summary>
    /// Replaces the running statistics of every BatchNorm layer in <paramref name="generator"/> with
    /// averages over <paramref name="batches"/> batches of <paramref name="batchSize"/> latents drawn
    /// from N(0, I) with <paramref name="seed"/>. Leaves the generator in eval mode.
    /// </summary>
    public static void Recalibrate(DcganGenerator generator, int batches, int batchSize, long seed)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfLessThan(batches, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 2);
        var norms = generator.modules().OfType<BatchNorm2d>().ToList();
        var momenta = norms.Select(n => n.momentum).ToList();
        try
        {
            foreach (var norm in norms)
            {
                norm.reset_running_stats();
                norm.momentum = null; // null = cumulative average over all batches seen
            }

            generator.train();
            using var noGrad = no_grad();
            using var random = new Generator((ulong)seed);
            for (var i = 0; i < batches; i++)
            {
                using var scope = NewDisposeScope();
                var z = randn([batchSize, generator.LatentDim], generator: random);
                generator.forward(z);
            }
        }
        finally
        {
            for (var i = 0; i < norms.Count; i++)
            {
                norms[i].momentum = momenta[i];
            }

            generator.eval();
        }
    }
}
